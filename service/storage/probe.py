"""What operators ask of Redis: is it up, is it durable, and how much work is waiting."""

from __future__ import annotations

import redis

from service.moderation.ports import Durability, Stats
from service.storage import keys
from service.storage.connection import translate_errors
from service.storage.durability import Guard
from service.storage.learned import learning_steps


class Probe:
    """Read-only checks and figures for /readyz and /metrics: the `Monitor` of Redis."""

    def __init__(self, client: redis.Redis, guard: Guard) -> None:
        self._client = client
        self._guard = guard

    @property
    def accept_data_loss(self) -> bool:
        """Whether the operator accepts a Redis that can lose acknowledged writes."""
        return self._guard.accept_data_loss

    def status(self) -> str:
        """'ok' if Redis answers a PING, else what went wrong."""
        try:
            self._client.ping()
        except redis.RedisError as exc:
            return f"unavailable: {type(exc).__name__}"
        return "ok"

    @translate_errors
    def durability(self) -> Durability:
        """The Redis's durability, as the write guard last saw it."""
        return self._guard.current()

    @translate_errors
    def stats(self) -> Stats:
        """A snapshot of backlog, queues and counters."""
        return read_stats(self._client)


def read_stats(client: redis.Redis) -> Stats:
    """Take a snapshot: stream lengths, per-site queue lengths and counters."""
    stream = keys.intake_stream()
    backlog = int(client.xlen(stream))
    pending = 0
    if backlog:
        try:
            pending = int(client.xpending(stream, keys.SCORERS_GROUP)["pending"])
        except redis.ResponseError:  # no consumer group yet: no worker has started
            pending = 0
    queues = {
        _site(key, keys.review_queue("")): int(client.zcard(key))
        for key in client.scan_iter(match=keys.review_queue("*"), count=500)
    }
    counters = {
        _site(key, keys.site_counters("")): {
            name.decode(): int(value) for name, value in client.hgetall(key).items()
        }
        for key in client.scan_iter(match=keys.site_counters("*"), count=500)
    }
    events = {
        kind: {
            key.decode()[len(prefix) : -len(suffix)]: int(client.llen(key))
            for key in client.scan_iter(match=f"{prefix}*{suffix}", count=500)
        }
        for kind, (prefix, suffix) in _WEBHOOK_LISTS.items()
    }
    return Stats(
        backlog,
        pending,
        queues,
        counters,
        learning_steps(client),
        events["waiting"],
        events["parked"],
    )


# Each site's webhook event lists, as the prefix and suffix around the site in their keys.
_WEBHOOK_LISTS = {
    kind: tuple(key("\0").split("\0"))
    for kind, key in (("waiting", keys.webhook_events), ("parked", keys.webhook_parked))
}


def _site(key: bytes, prefix: str) -> str:
    return key.decode()[len(prefix) :]
