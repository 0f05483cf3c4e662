"""Webhooks: where a site is told about its comments, what it is told, and when to try again.

Events follow the Standard Webhooks specification (standardwebhooks.com): a JSON body
`{"type", "timestamp", "data"}`, signed over `<webhook-id>.<webhook-timestamp>.<body>`
with HMAC-SHA256 under a `whsec_` secret. They carry what a site may read of its comment
(id, thread, status, score, reasons, who decided and when), never the e-mail, IP or body.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import json
import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol
from urllib.parse import urlsplit

from service.moderation.access import KeyKind, Principal
from service.moderation.comments import Comment, iso_time
from service.moderation.errors import NoWebhookError, PermissionDeniedError, WebhookURLError

SCORED, DECIDED, ERASED = "comment.scored", "comment.decided", "comment.erased"
#: Retried for at least this long from its first failure, then parked for an operator.
RETRY_FOR_S = 24 * 3600
#: The first retry's delay; each next one doubles, up to MAX_DELAY_S (then jittered down
#: by up to half, so receivers coming back are not hit by every site at once).
FIRST_DELAY_S, MAX_DELAY_S = 5.0, 3600.0
#: How long a receiver may take for each step of a post (connect, each read), for the whole
#: post, and how much of its answer is read.
TIMEOUT_S, POST_S, READ_BYTES = 5.0, 10.0, 4096
_MAX_URL = 2048


@dataclass(frozen=True)
class Endpoint:
    """A site's webhook: where to post and the secret that signs what is posted."""

    url: str
    secret: str
    created_at: float


@dataclass(frozen=True)
class Health:
    """How a site's webhook fares, for its owner and operators."""

    url: str
    created_at: float
    pending: int  # events waiting, the one being retried first
    parked: int  # events that failed for RETRY_FOR_S, kept for `modq webhooks redeliver`
    delivered: int
    attempts: int  # failed deliveries of the event at the head of the queue
    failing_since: float | None
    last_attempt_at: float | None
    last_status: str
    last_error: str
    last_delivered_at: float | None


class WebhookRepository(Protocol):
    """Where sites' webhooks are kept."""

    def set(self, site: str, url: str) -> Endpoint: ...

    def health(self, site: str) -> Health | None: ...

    def remove(self, site: str) -> bool: ...


#: Looks a URL's host up: its addresses (an OSError if it has none).
Resolve = Callable[[str, int], list[str]]


class SiteWebhooks:
    """The use cases of a site's webhook, each scoped to the calling site's key."""

    def __init__(self, store: WebhookRepository, resolve: Resolve, allow_private: bool) -> None:
        self._store, self._resolve, self._allow_private = store, resolve, allow_private

    def set(self, caller: Principal, url: str) -> Endpoint:
        """Point the caller's site's webhook at `url`, with a new secret (shown this once)."""
        return self.set_for(_site_of(caller), url)

    def health(self, caller: Principal) -> Health:
        """Where the caller's site's webhook points and how its deliveries go."""
        return self.health_of(_site_of(caller))

    def remove(self, caller: Principal) -> None:
        """Remove the caller's site's webhook and the events waiting for it."""
        self.remove_for(_site_of(caller))

    def set_for(self, site: str, url: str) -> Endpoint:
        """`set` for an operator, who names the site."""
        check_url(url)
        parts = urlsplit(url)
        if not self._allow_private:
            port = parts.port or (443 if parts.scheme == "https" else 80)
            try:
                addresses = self._resolve(parts.hostname or "", port)
            except OSError as exc:
                raise WebhookURLError(f"url: {parts.hostname} cannot be resolved") from exc
            if not all(public_address(a) for a in addresses):
                raise WebhookURLError(
                    f"url: {parts.hostname} resolves to a private or local address "
                    "(MODQ_WEBHOOK_ALLOW_PRIVATE=yes allows it)"
                )
        return self._store.set(site, url)

    def health_of(self, site: str) -> Health:
        """`health` for an operator."""
        found = self._store.health(site)
        if found is None:
            raise NoWebhookError(site)
        return found

    def remove_for(self, site: str) -> None:
        """`remove` for an operator."""
        if not self._store.remove(site):
            raise NoWebhookError(site)


def _site_of(caller: Principal) -> str:
    if caller.kind is not KeyKind.SITE:
        raise PermissionDeniedError("this endpoint needs a site key")
    return caller.site


def new_secret() -> str:
    """A signing secret in the form the `standardwebhooks` libraries take."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(24)).decode()


def sign(secret: str, event_id: str, timestamp: int, body: str) -> str:
    """The `webhook-signature` header value for a body (Standard Webhooks, v1)."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{event_id}.{timestamp}.{body}".encode(), hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def retry_delay(attempts: int, rng: random.Random | None = None) -> float:
    """Seconds to wait after the `attempts`-th failed delivery: doubling, capped, jittered."""
    delay = min(FIRST_DELAY_S * 2.0 ** min(attempts - 1, 30), MAX_DELAY_S)
    jitter: float = (rng or random).random()
    return delay * (0.5 + 0.5 * jitter)


def check_url(url: str) -> str:
    """The URL if it can be a webhook (http or https, a host, no credentials); else
    WebhookURLError naming what is wrong."""
    if len(url) > _MAX_URL:
        raise WebhookURLError(f"url: longer than {_MAX_URL} characters")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise WebhookURLError("url: must be an http:// or https:// URL with a host")
    if parts.username or parts.password:
        raise WebhookURLError("url: must not carry a user name or password")
    try:
        parts.port  # noqa: B018 - raises on a port out of range
    except ValueError as exc:
        raise WebhookURLError(f"url: {exc}") from exc
    return url


def public_address(address: str) -> bool:
    """Whether an IP address is one a webhook may be posted to by default: not loopback,
    private, link-local (cloud metadata lives there), multicast, reserved or unspecified."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
    )


def decided_event(comment: Comment, now: float) -> tuple[str, str]:
    """A `comment.decided` event for a comment a moderator (or the site) just decided: its id (kept
    across retries, receivers deduplicate on it) and its body. The verdict script writes
    `comment.scored` in the same shape, without `decision`."""
    assert comment.decision is not None and comment.decided_at is not None
    data = {
        "id": comment.id,
        "thread": comment.content.thread,
        "status": comment.status.value,
        "score": comment.score,
        "reasons": list(comment.reasons),
        "decided_by": comment.decider,
        "decision": comment.decision.value,
        "time": iso_time(comment.decided_at),
    }
    body = {"type": DECIDED, "timestamp": iso_time(now), "data": data}
    return f"msg_{secrets.token_hex(12)}", json.dumps(body, separators=(",", ":"))


def erased_event(comment_id: str, now: float) -> tuple[str, str]:
    """A `comment.erased` event: the comment and all modq kept of it are gone."""
    data = {"id": comment_id, "time": iso_time(now)}
    body = {"type": ERASED, "timestamp": iso_time(now), "data": data}
    return f"msg_{secrets.token_hex(12)}", json.dumps(body, separators=(",", ":"))


def about(raw_event: str, comment_id: str) -> bool:
    """Whether a queued event ("<id> <body>") reports on `comment_id`."""
    return f'"data":{{"id":"{comment_id}"' in raw_event
