"""The webhook sender: posts each site's events to its webhook, signed, in order, retried.

One process (`modq sender`, started by `modq serve`) claims the sites whose next event is
due, posts it the Standard Webhooks way and records the outcome: delivered (the next one
is due at once), failed (tried again after a doubling, jittered delay), or failed for a
day (parked for an operator: `modq webhooks redeliver`). The receiver's address is
checked when it is looked up, just before the post, and the post goes to the very address
checked (no second look-up a rebinding DNS could answer differently).
"""

from __future__ import annotations

import contextlib
import http.client
import logging
import random
import signal
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from service.moderation.errors import StorageUnavailableError
from service.moderation.webhooks import (
    POST_S,
    READ_BYTES,
    TIMEOUT_S,
    public_address,
    retry_delay,
    sign,
)
from service.settings import Settings
from service.storage.connection import connect
from service.storage.layout import adopt
from service.storage.webhooks import Pending, WebhookStore

log = logging.getLogger("modq.webhooks")

#: Sites claimed per round, and the pause when none was due.
CLAIM_LIMIT, IDLE_S = 16, 0.5
USER_AGENT = "modq-webhooks/1"


@dataclass(frozen=True)
class Answer:
    """How a post went: a 2xx, or the status or error that made it fail."""

    ok: bool
    status: str
    error: str = ""


Post = Callable[[str, dict[str, str], str, bool], Answer]


@dataclass(eq=False)
class Sender:
    """Delivers due webhook events until stopped."""

    store: WebhookStore
    allow_private: bool
    post: Post = field(default=lambda *args: post_json(*args))
    clock: Callable[[], float] = time.time
    rng: random.Random = field(default_factory=random.Random)
    _stopping: bool = field(default=False, init=False)

    def stop(self) -> None:
        self._stopping = True

    def run(self, *, burst: bool = False) -> int:
        """Deliver until stopped (with `burst`, until nothing is due); return the posts made."""
        posted = 0
        while not self._stopping:
            try:
                done = self.step()
            except StorageUnavailableError as exc:
                log.warning("event=sender.storage_unavailable error=%r", str(exc))
                done = 0
            posted += done
            if not done:
                if burst:
                    break
                time.sleep(IDLE_S)
        return posted

    def step(self) -> int:
        """Post the oldest event of each due site once; return how many were posted."""
        due = self.store.claim(self.clock(), CLAIM_LIMIT)
        for pending in due:
            self._deliver(pending)
        return len(due)

    def _deliver(self, pending: Pending) -> None:
        timestamp = int(self.clock())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            "webhook-id": pending.event_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(
                pending.endpoint.secret, pending.event_id, timestamp, pending.body
            ),
        }
        answer = self.post(pending.endpoint.url, headers, pending.body, self.allow_private)
        now = self.clock()
        if answer.ok:
            self.store.delivered(pending, now, answer.status)
            log.info("event=webhook.delivered site=%s status=%s", pending.site, answer.status)
            return
        retry_at = now + retry_delay(pending.attempts + 1, self.rng)
        parked = self.store.failed(pending, now, retry_at, answer.status, answer.error)
        log.warning(
            "event=webhook.%s site=%s status=%s error=%s attempts=%d",
            "parked" if parked else "failed",
            pending.site,
            answer.status,
            answer.error,
            pending.attempts + 1,
        )


def resolve(host: str, port: int) -> list[str]:
    """The addresses `host` resolves to (an OSError if none)."""
    return [str(info[4][0]) for info in socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)]


def post_json(
    url: str, headers: dict[str, str], body: str, allow_private: bool, total_s: float = POST_S
) -> Answer:
    """POST `body` to `url`: TIMEOUT_S for each step and `total_s` for all, no redirect
    followed, at most READ_BYTES of the answer read, and (unless `allow_private`) only to a
    public address."""
    parts = urlsplit(url)
    host, https = parts.hostname or "", parts.scheme == "https"
    port = parts.port or (443 if https else 80)
    try:
        addresses = resolve(host, port)
    except OSError as exc:
        return Answer(False, "", f"cannot resolve {host}: {type(exc).__name__}")
    if not allow_private and not all(public_address(a) for a in addresses):
        return Answer(False, "", f"{host} resolves to a private or local address")
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection = _Pinned(host, port, addresses[0], https)
    # A receiver answering a byte at a time passes every step's timeout: past `total_s` the
    # socket is shut, which ends the read it is in.
    watchdog = threading.Timer(total_s, connection.cut)
    watchdog.daemon = True
    watchdog.start()
    try:
        connection.request("POST", path, body.encode(), headers)
        response = connection.getresponse()
        response.read(READ_BYTES)
        status = str(response.status)
        return Answer(200 <= response.status < 300, status, "" if status[0] == "2" else "status")
    except (OSError, http.client.HTTPException) as exc:
        slow = f"no answer within {total_s:g} s" if connection.was_cut else ""
        return Answer(False, "", slow or type(exc).__name__)
    finally:
        watchdog.cancel()
        connection.close()


class _Pinned(http.client.HTTPConnection):
    """An HTTP(S) connection to one address already checked, named `host` for TLS and the
    Host header."""

    def __init__(self, host: str, port: int, address: str, https: bool) -> None:
        super().__init__(host, port, timeout=TIMEOUT_S)
        self._address, self._https = address, https
        self.was_cut = False

    def cut(self) -> None:
        """End the post now, from another thread: shut the socket it reads or writes."""
        self.was_cut = True
        sock = self.sock
        if sock is not None:
            with contextlib.suppress(OSError):  # already closed: nothing to end
                sock.shutdown(socket.SHUT_RDWR)

    def connect(self) -> None:
        sock = socket.create_connection((self._address, self.port), self.timeout)
        if self._https:
            sock = ssl.create_default_context().wrap_socket(sock, server_hostname=self.host)
        self.sock = sock


def run_process(settings: Settings, url: str, *, burst: bool) -> int:
    """Run the sender against the Redis at `url` until SIGTERM or SIGINT."""
    client = connect(url)
    adopt(client, settings.partitions)
    sender = Sender(WebhookStore(client), settings.webhook_allow_private)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: sender.stop())
    log.info("event=sender.started")
    posted = sender.run(burst=burst)
    log.info("event=sender.stopped posted=%d", posted)
    return posted
