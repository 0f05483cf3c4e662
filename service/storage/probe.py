"""Read-only figures for operators: backlog, pending deliveries, queues and counters."""

from __future__ import annotations

from dataclasses import dataclass, field

import redis

from service.storage import keys


@dataclass(frozen=True)
class Stats:
    """A snapshot of modq's state in Redis; no comment content, only counts."""

    backlog: int
    pending: int
    queues: dict[str, int] = field(default_factory=dict)
    counters: dict[str, dict[str, int]] = field(default_factory=dict)


def read(client: redis.Redis) -> Stats:
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
    return Stats(backlog, pending, queues, counters)


def _site(key: bytes, prefix: str) -> str:
    return key.decode()[len(prefix) :]
