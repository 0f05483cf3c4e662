"""E-mails, IPs and bodies stay out of site-facing responses and logs; OpenAPI is complete."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from flask.testing import FlaskClient

from tests.conftest import Keys
from tests.factories import comment_body


def test_no_email_ip_or_body_in_site_responses_or_logs(
    client: FlaskClient, keys: Keys, drain: Callable[..., int], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="modq")
    site = keys.site("news")
    secrets_sent, responses = [], []
    for n in range(1000):
        email, ip, body = (
            f"reader{n}.x9@mail.example",
            f"198.51.{n // 250}.{n % 250}",
            f"unique body text {n} qz",
        )
        payload = comment_body(body, ip=ip, author={"name": "R", "email": email})
        secrets_sent += [email, ip, body]
        response = client.post("/v1/comments", json=payload, headers=site)
        responses.append(response.get_data(as_text=True))
        responses.append(
            client.get(f"/v1/comments/{response.json['id']}", headers=site).get_data(as_text=True)
        )
    drain()
    # Invalid e-mails come back in error bodies only as field names, never as values.
    bad = client.post(
        "/v1/comments", json=comment_body(author={"name": "R", "email": "leak@@x"}), headers=site
    )
    responses.append(bad.get_data(as_text=True))

    seen = "\n".join(responses) + "\n".join(record.getMessage() for record in caplog.records)
    assert len(caplog.records) >= 2000, "the test saw the log lines"
    leaked = [s for s in secrets_sent + ["leak@@x"] if s in seen]
    assert leaked == [], leaked[:5]


def test_openapi_document_lists_every_endpoint(client: FlaskClient) -> None:
    spec = client.get("/openapi.json").json

    assert set(spec["paths"]) >= {
        "/v1/comments",
        "/v1/comments/{comment_id}",
        "/v1/moderation/queue",
        "/v1/moderation/comments/{comment_id}",
        "/v1/moderation/comments/{comment_id}/decision",
        "/v1/moderation/decisions",
        "/healthz",
        "/readyz",
    }
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "email" not in spec["components"]["schemas"]["CommentOut"]["properties"]
