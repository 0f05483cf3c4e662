"""`/metrics`: counts from Redis in the Prometheus format, and nothing personal."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import Keys
from tests.factories import HAM, SPAM, comment_body


def _samples(client: FlaskClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    response = client.get("/metrics")
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

    text = client.get("/metrics").get_data(as_text=True)

    assert not [s for s in ("m7@mail.example", "192.0.2.55", "zq7", "mail.example") if s in text]
