"""create_app(): the one place the HTTP layer, the domain and storage are wired together."""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Callable
from typing import Any

import redis
from flask import Flask, Response, g, request
from flask_smorest import Api
from limits.storage import RedisClusterStorage, RedisStorage, Storage

from service import logs
from service.api import (
    akismet,
    akismet_figures,
    comments,
    errors,
    health,
    metrics,
    moderation,
    privacy,
    review,
    webhooks,
)
from service.api.context import Services
from service.api.limits import RateLimits
from service.moderation.errors import StorageUnavailableError
from service.moderation.webhooks import SiteWebhooks
from service.moderation.workflow import Moderation
from service.scoring.model_file import ModelIntegrityError, verify_model_file
from service.settings import Settings
from service.storage.apikeys import CachedKeys, KeyStore
from service.storage.calibration import CalibrationStore
from service.storage.comments import CommentStore, Retention
from service.storage.connection import connect, is_cluster, redis_url
from service.storage.durability import Guard
from service.storage.layout import adopt
from service.storage.learned import LearnedStore
from service.storage.privacy import PrivacyStore, load_pepper
from service.storage.probe import Probe
from service.storage.sites import RulesStore
from service.storage.stats import StatsStore
from service.storage.waits import VerdictWaits
from service.storage.webhooks import WebhookStore
from service.webhook_sender import resolve

log = logging.getLogger("modq.api")

assert akismet_figures.blp is akismet.blp  # imported for the routes it adds


class _Flask(Flask):
    """Flask for an app with no async views or hooks (a test in test_api_errors checks it).

    Flask asks `inspect` whether each view and hook is a coroutine, on every call; with none
    there is nothing to wrap.
    """

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        return func


def create_app(settings: Settings | None = None, client: redis.Redis | None = None) -> Flask:
    """Create and configure the app."""
    settings = settings or Settings.from_env()
    logs.configure(settings.log_level)
    app = _Flask("modq")
    app.config.update(
        API_TITLE="modq",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        MAX_CONTENT_LENGTH=settings.max_request_bytes,
    )
    client = client or connect(redis_url(settings))
    _adopt_layout(app, client, settings)
    app.extensions["modq"] = _services(settings, client)
    api = Api(app, spec_kwargs={"info": {"description": "Comment moderation API."}})
    api.spec.components.security_scheme("bearerAuth", {"type": "http", "scheme": "bearer"})
    for module in (comments, moderation, privacy, webhooks, health, metrics):
        api.register_blueprint(module.blp)
    app.register_blueprint(review.blp)  # a page, not an API operation: kept out of OpenAPI
    # Akismet's protocol: plain text, its own spec (akismet_figures adds its figures' routes).
    app.register_blueprint(akismet.blp)
    errors.register(app)
    if log.isEnabledFor(logging.INFO):  # the timer only feeds the request log line
        app.before_request(_start_timer)
    app.after_request(_log_request)
    return app


#: Answered without the layout (a Redis down at start is what they report).
HEALTH_PATHS = ("/healthz", "/readyz")


def _adopt_layout(app: Flask, client: redis.Redis, settings: Settings) -> None:
    """Use the partition count Redis records. A Redis down at start is asked again before
    each request until it answers (they get the usual 503 meanwhile); a layout other than
    the settings ask for stops the app at once (LayoutError)."""
    try:
        adopt(client, settings.partitions)
        return
    except redis.RedisError:
        log.warning("event=layout.unknown reason=redis_unavailable")
    adopted: list[int] = []

    def adopt_first() -> None:
        # Health answers say what is wrong with Redis; they need no layout for it.
        if not adopted and request.path not in HEALTH_PATHS:
            try:
                adopted.append(adopt(client, settings.partitions))
            except redis.RedisError as exc:
                raise StorageUnavailableError(f"Redis: {type(exc).__name__}") from exc

    app.before_request(adopt_first)


def _services(settings: Settings, client: redis.Redis) -> Services:
    guard = Guard(client, settings.accept_data_loss)
    moderation_ = Moderation(
        CommentStore(client, guard, Retention.of(settings), _replica_wait_ms(settings)),
        CachedKeys(KeyStore(client), settings.key_cache_seconds),
        PrivacyStore(client),
        LearnedStore(client),
        RulesStore(client),
        CalibrationStore(client),
        StatsStore(client),
        load_pepper(settings),
    )
    rate_limits = RateLimits(
        _limits_storage(settings, client),
        settings.rate_limit_per_ip,
        settings.rate_limit_per_site,
        settings.rate_limit_auth_failures,
    )
    proxies = tuple(ipaddress.ip_network(p, strict=False) for p in settings.trusted_proxies)
    version, error = _model_check(settings)
    waits = VerdictWaits(client, settings.wait_slots)
    webhooks_ = SiteWebhooks(WebhookStore(client), resolve, settings.webhook_allow_private)
    return Services(
        moderation_,
        Probe(client, guard),
        rate_limits,
        waits,
        webhooks_,
        proxies,
        version,
        error,
        settings.metrics_token,
        settings.akismet_wait_ms / 1000,
    )


def _replica_wait_ms(settings: Settings) -> int:
    """How long a 202 waits for a replica (on a cluster): not at all once the operator
    accepts data loss."""
    return 0 if settings.accept_data_loss else settings.replica_wait_ms


def _limits_storage(settings: Settings, client: redis.Redis) -> Storage:
    """Where the rate limits count: the app's own Redis connections, or on a cluster the
    `limits` library's cluster storage (it keeps each counter in one slot)."""
    url = redis_url(settings)
    if is_cluster(client):
        return RedisClusterStorage(url, key_prefix=RATE_LIMIT_PREFIX)
    return RedisStorage(
        "redis://", connection_pool=client.connection_pool, key_prefix=RATE_LIMIT_PREFIX
    )


#: Where the rate limits' counters live.
RATE_LIMIT_PREFIX = "modq:rl"


def _model_check(settings: Settings) -> tuple[str | None, str]:
    """The model file's version if it passes its checks, else None and why."""
    try:
        return verify_model_file(settings.model_path).version, ""
    except ModelIntegrityError as exc:
        log.error("event=model.invalid path=%s error=%s", settings.model_path, exc)
        return None, str(exc)


def _start_timer() -> None:
    g.started = time.perf_counter()


def _log_request(response: Response) -> Response:
    # Every answer is data, never a page to sniff: a comment's "<script>" stays text.
    response.headers["X-Content-Type-Options"] = "nosniff"
    if not log.isEnabledFor(logging.INFO):
        return response
    elapsed_ms = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
    # The route's pattern, not the path: a path is client text and could carry anything.
    route = request.url_rule.rule if request.url_rule else "unmatched"
    log.info(
        "event=http.request method=%s route=%s status=%d ms=%.1f",
        request.method,
        route,
        response.status_code,
        elapsed_ms,
    )
    return response
