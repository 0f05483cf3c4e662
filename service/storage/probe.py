"""What operators ask of Redis: is it up, is it durable, and how much work is waiting."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator

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
    backlog = pending = 0
    for part in keys.partitions():
        stream = keys.intake_stream(part)
        waiting = int(client.xlen(stream))
        backlog += waiting
        # No consumer group yet (no worker has started): nothing is pending.
        with contextlib.suppress(redis.ResponseError):
            pending += int(client.xpending(stream, keys.SCORERS_GROUP)["pending"]) if waiting else 0
    counters = {
        site: {name.decode(): int(value) for name, value in client.hgetall(key).items()}
        for site, key in _each_site(client, keys.site_counters)
    }
    return Stats(
        backlog,
        pending,
        {site: int(client.zcard(key)) for site, key in _each_site(client, keys.review_queue)},
        counters,
        learning_steps(client),
        {site: int(client.llen(key)) for site, key in _each_site(client, keys.webhook_events)},
        {site: int(client.llen(key)) for site, key in _each_site(client, keys.webhook_parked)},
    )


def _each_site(client: redis.Redis, key: Callable[[str], str]) -> Iterator[tuple[str, bytes]]:
    """(site, key) for every site's `key` found in Redis (a SCAN: for metrics, not hot paths)."""
    pattern, site = keys.every_site(key)
    for found in client.scan_iter(match=pattern, count=500):
        matched = site.match(found.decode())
        if matched:
            yield matched.group(1), found
