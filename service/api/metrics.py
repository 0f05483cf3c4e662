"""`GET /metrics` in the Prometheus text format, read from Redis so every API process agrees."""

from __future__ import annotations

import hmac
from collections.abc import Iterator

from flask import Response, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric

from service.api.context import services
from service.api.errors import error_response
from service.api.parsing import Blueprint
from service.moderation.ports import Stats

blp = Blueprint("metrics", __name__, description="Prometheus metrics for operators.")


class StatsCollector:
    """Turns a `Stats` snapshot into metric families; labels are site names only."""

    def __init__(self, snapshot: Stats, model_version: str) -> None:
        self._snapshot = snapshot
        self._model_version = model_version

    def collect(self) -> Iterator[Metric]:
        s = self._snapshot
        yield GaugeMetricFamily(
            "modq_intake_backlog", "Comments stored but not yet scored.", s.backlog
        )
        yield GaugeMetricFamily(
            "modq_intake_pending",
            "Comments delivered to a worker, not yet acknowledged.",
            s.pending,
        )
        queue = GaugeMetricFamily(
            "modq_review_queue", "Comments waiting for a moderator.", labels=["site"]
        )
        for site, length in sorted(s.queues.items()):
            queue.add_metric([site], length)
        yield queue
        scored = CounterMetricFamily(
            "modq_comments_scored", "Comments scored, by verdict.", labels=["site", "status"]
        )
        decided = CounterMetricFamily(
            "modq_decisions", "Moderator decisions.", labels=["site", "decision"]
        )
        for site, counts in sorted(s.counters.items()):
            for name, value in sorted(counts.items()):
                kind, _, label = name.partition("_")
                family = scored if kind == "scored" else decided
                family.add_metric([site, label], value)
        yield scored
        yield decided
        steps = CounterMetricFamily(
            "modq_learning_steps",
            "Steps of the site's learned model: decisions learned, and changed ones undone.",
            labels=["site"],
        )
        for site, count in sorted(s.learning_steps.items()):
            steps.add_metric([site], count)
        yield steps
        for name, text, per_site in (
            ("waiting", "Webhook events waiting to be delivered.", s.webhook_waiting),
            ("parked", "Webhook events parked after failing for a day.", s.webhook_parked),
        ):
            events = GaugeMetricFamily(f"modq_webhook_events_{name}", text, labels=["site"])
            for site, count in sorted(per_site.items()):
                events.add_metric([site], count)
            yield events
        info = GaugeMetricFamily(
            "modq_model_info", "The model the API checked.", labels=["version"]
        )
        info.add_metric([self._model_version], 1)
        yield info


@blp.route("/metrics", methods=["GET"])
def metrics() -> Response:
    """Expose backlog, queue lengths and verdict counters, to the bearer of
    MODQ_METRICS_TOKEN only: the labels name every site."""
    wired = services()
    if not wired.metrics_token:
        return error_response(
            403, "metrics are off: set MODQ_METRICS_TOKEN and send it as a bearer token"
        )
    sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(sent.encode(), wired.metrics_token.encode()):
        headers = {"WWW-Authenticate": 'Bearer realm="modq metrics"'}
        return error_response(
            401, "send MODQ_METRICS_TOKEN as 'Authorization: Bearer <token>'", headers=headers
        )
    registry = CollectorRegistry(auto_describe=False)
    registry.register(StatsCollector(wired.monitor.stats(), wired.model_version or "none"))
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST)
