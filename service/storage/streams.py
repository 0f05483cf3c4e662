"""The intake stream read by a consumer group: at-least-once delivery to scoring workers."""

from __future__ import annotations

from dataclasses import dataclass

import redis

from service.storage import keys
from service.storage.connection import translate_errors


@dataclass(frozen=True)
class Delivery:
    """One stream entry handed to a worker: the entry id and the comment id it carries."""

    entry_id: str
    comment_id: str
    deliveries: int = 1


class IntakeStream:
    """A worker's view of the intake stream under the scorers' consumer group."""

    def __init__(self, client: redis.Redis, consumer: str) -> None:
        self._redis = client
        self.consumer = consumer
        self._stream = keys.intake_stream()

    @translate_errors
    def ensure_group(self) -> None:
        """Create the stream and the consumer group if they do not exist yet."""
        try:
            self._redis.xgroup_create(self._stream, keys.SCORERS_GROUP, id="0", mkstream=True)
        except redis.ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise

    @translate_errors
    def own_pending(self, count: int) -> list[Delivery]:
        """Entries delivered to this consumer earlier and not acknowledged."""
        return self._read("0", count, block_ms=None)

    @translate_errors
    def new(self, count: int, block_ms: int) -> list[Delivery]:
        """Entries never delivered to anyone, waiting up to `block_ms` for the first."""
        return self._read(">", count, block_ms)

    @translate_errors
    def claim_stale(self, min_idle_ms: int, count: int) -> list[Delivery]:
        """Take over entries another consumer has held longer than `min_idle_ms`."""
        result = self._redis.xautoclaim(
            self._stream, keys.SCORERS_GROUP, self.consumer, min_idle_ms, "0-0", count=count
        )
        return [_delivery(entry_id, fields) for entry_id, fields in result[1] if fields]

    @translate_errors
    def with_counts(self, deliveries: list[Delivery]) -> list[Delivery]:
        """The same deliveries, each with how many times it has been delivered so far."""
        if not deliveries:
            return []
        ids = sorted(deliveries, key=lambda d: _order(d.entry_id))
        pending = self._redis.xpending_range(
            self._stream,
            keys.SCORERS_GROUP,
            min=ids[0].entry_id,
            max=ids[-1].entry_id,
            count=len(deliveries) * 4 + 100,
            consumername=self.consumer,
        )
        counts = {p["message_id"].decode(): int(p["times_delivered"]) for p in pending}
        return [
            Delivery(d.entry_id, d.comment_id, counts.get(d.entry_id, d.deliveries))
            for d in deliveries
        ]

    @translate_errors
    def ack(self, entry_ids: list[str]) -> None:
        """Acknowledge and delete handled entries, so the stream holds only open work."""
        if not entry_ids:
            return
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.xack(self._stream, keys.SCORERS_GROUP, *entry_ids)
            pipe.xdel(self._stream, *entry_ids)
            pipe.execute()

    def _read(self, start: str, count: int, block_ms: int | None) -> list[Delivery]:
        reply = self._redis.xreadgroup(
            keys.SCORERS_GROUP, self.consumer, {self._stream: start}, count=count, block=block_ms
        )
        if not reply:
            return []
        return [_delivery(entry_id, fields) for entry_id, fields in reply[0][1] if fields]


def _order(entry_id: str) -> tuple[int, int]:
    millis, _, seq = entry_id.partition("-")
    return int(millis), int(seq or 0)


def _delivery(entry_id: bytes, fields: dict[bytes, bytes]) -> Delivery:
    return Delivery(entry_id=entry_id.decode(), comment_id=fields[b"id"].decode())
