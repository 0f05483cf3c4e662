"""`/metrics`: counts from Redis in the Prometheus format, and nothing personal."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import redis as redis_lib
from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from service.app import create_app
from service.settings import Settings
from tests.conftest import METRICS, METRICS_TOKEN, Keys
from tests.factories import HAM, SPAM, comment_body


def _samples(client: FlaskClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics", headers=METRICS)
    assert response.status_code == 200
    assert response.content_type.startswith("text/plain")
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(response.get_data(as_text=True))
        for s in family.samples
    }


def test_metrics_count_backlog_verdicts_and_queue(
    client: FlaskClient, keys: Keys, drain: Callable[..., int]
) -> None:
    site = keys.site("news")
    for body in (HAM, SPAM, "third"):
        client.post("/v1/comments", json=comment_body(body), headers=site)
    before = _samples(client)

    drain(approve_below=0.0, reject_above=1.0)
    after = _samples(client)

    assert before[("modq_intake_backlog", ())] == 3
    assert after[("modq_intake_backlog", ())] == 0
    assert after[("modq_review_queue", (("site", "news"),))] == 3
    key = ("modq_comments_scored_total", (("site", "news"), ("status", "pending_review")))
    assert after[key] == 3


def test_metrics_carry_no_email_ip_or_body(
    client: FlaskClient, keys: Keys, drain: Callable[..., int]
) -> None:
    payload = comment_body(
        "body text zq7", ip="192.0.2.55", author={"name": "N", "email": "m7@mail.example"}
    )
    client.post("/v1/comments", json=payload, headers=keys.site("news"))
    drain()

    text = client.get("/metrics", headers=METRICS).get_data(as_text=True)

    assert not [s for s in ("m7@mail.example", "192.0.2.55", "zq7", "mail.example") if s in text]


def test_metrics_answer_only_the_operators_token(
    client: FlaskClient, keys: Keys, settings: Settings, redis: redis_lib.Redis
) -> None:
    client.post("/v1/comments", json=comment_body(HAM), headers=keys.site("news"))
    refused = [
        client.get("/metrics"),
        client.get("/metrics", headers=keys.site("news")),
        client.get("/metrics", headers=keys.moderator("news")),
        client.get("/metrics", headers={"Authorization": "Bearer " + "x" * len(METRICS_TOKEN)}),
    ]
    assert [r.status_code for r in refused] == [401] * 4
    assert all("news" not in r.get_data(as_text=True) for r in refused)
    assert refused[0].headers["WWW-Authenticate"].startswith("Bearer")
    off = create_app(dataclasses.replace(settings, metrics_token=None), redis).test_client()
    assert off.get("/metrics", headers=METRICS).status_code == 403
    assert client.get("/metrics", headers=METRICS).status_code == 200


def test_no_site_facing_or_unauthenticated_answer_names_another_site(
    client: FlaskClient, keys: Keys, drain: Callable[..., int]
) -> None:
    rival = keys.site("rival-xq7.example")
    client.post("/v1/comments", json=comment_body(SPAM), headers=rival)
    mine = client.post("/v1/comments", json=comment_body(HAM), headers=keys.site("news")).json
    drain(approve_below=0.0, reject_above=1.0)
    site = keys.site("news")

    answers = [
        client.get(f"/v1/comments/{mine['id']}", headers=site),
        client.get("/v1/webhook", headers=site),
        client.get("/metrics", headers=site),
        client.get("/metrics"),
        client.get("/healthz"),
        client.get("/readyz"),
        client.get("/openapi.json"),
        client.get("/v1/comments/nope"),
    ]
    named = [a.request.path for a in answers if "rival-xq7" in a.get_data(as_text=True)]
    assert named == []
