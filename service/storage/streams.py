"""Streams read by consumer groups: the intake (to score) and the decisions (to learn from)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

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
        self._unacked: list[str] = []

    @translate_errors
    def ensure_group(self) -> None:
        """Create the stream and the consumer group if they do not exist yet."""
        _ensure_group(self._redis, self._stream, keys.SCORERS_GROUP)

    @translate_errors
    def own_pending(self, count: int) -> list[Delivery]:
        """Entries delivered to this consumer earlier and not acknowledged."""
        self.flush()
        return self._read("0", count, block_ms=None)

    @translate_errors
    def new(self, count: int, block_ms: int) -> list[Delivery]:
        """Entries never delivered to anyone, waiting up to `block_ms` for the first.

        Acknowledgements not yet sent go in the same transaction, before the read: one
        round trip and one fsync for both. Only if nothing is waiting does it then block.
        """
        if self._unacked:
            with self._redis.pipeline(transaction=True) as pipe:
                self._queue_ack(pipe)
                pipe.xreadgroup(keys.SCORERS_GROUP, self.consumer, {self._stream: ">"}, count=count)
                reply = pipe.execute()[-1]
            self._unacked = []
            if reply:
                return _deliveries(reply)
        return self._read(">", count, block_ms)

    @translate_errors
    def claim_stale(self, min_idle_ms: int, count: int) -> list[Delivery]:
        """Take over entries another consumer has held longer than `min_idle_ms`."""
        self.flush()
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

    def ack(self, entry_ids: list[str]) -> None:
        """Acknowledge and delete handled entries, with the next read or `flush`.

        Call it only once their verdicts are written. Until then they stay pending: a crash
        before the ack is sent means they are delivered again, and the verdicts, stored once
        per comment id, are not written twice.
        """
        self._unacked += entry_ids

    @translate_errors
    def flush(self) -> None:
        """Send the acknowledgements `ack` holds, so the stream holds only open work."""
        if not self._unacked:
            return
        with self._redis.pipeline(transaction=True) as pipe:
            self._queue_ack(pipe)
            pipe.execute()
        self._unacked = []

    def _queue_ack(self, pipe: redis.client.Pipeline) -> None:
        pipe.xack(self._stream, keys.SCORERS_GROUP, *self._unacked)
        pipe.xdel(self._stream, *self._unacked)

    def _read(self, start: str, count: int, block_ms: int | None) -> list[Delivery]:
        reply = self._redis.xreadgroup(
            keys.SCORERS_GROUP, self.consumer, {self._stream: start}, count=count, block=block_ms
        )
        return _deliveries(reply) if reply else []


@dataclass(frozen=True)
class DecisionEntry:
    """A moderator's decision as the learners read it from the decisions stream."""

    entry_id: str
    comment_id: str
    site: str
    decision: str


class DecisionFeed:
    """A worker's view of the decisions stream under the learners' consumer group.

    The stream is the audit log too, so entries are acknowledged, never deleted. Each
    decision is learned by one worker; what a stopped worker held goes to another.
    """

    def __init__(self, client: redis.Redis, consumer: str, reclaim_idle_ms: int = 60_000) -> None:
        self._redis = client
        self.consumer = consumer
        self._stream = keys.decisions_stream()
        self._reclaim_idle_ms = reclaim_idle_ms
        self._started = False
        self._last_reclaim = time.monotonic()

    @translate_errors
    def read(self, count: int) -> list[DecisionEntry]:
        """Decisions to learn, without waiting: held ones first, then stale, then new."""
        if not self._started:
            _ensure_group(self._redis, self._stream, keys.LEARNERS_GROUP)
            self._started = True
            held = self._read("0", count)
            if held:
                return held
        now = time.monotonic()
        if now - self._last_reclaim >= self._reclaim_idle_ms / 2000:
            self._last_reclaim = now
            idle = self._reclaim_idle_ms
            stale = self._redis.xautoclaim(
                self._stream, keys.LEARNERS_GROUP, self.consumer, idle, "0-0", count
            )[1]
            if stale:
                return [_decision(entry_id, fields) for entry_id, fields in stale if fields]
        return self._read(">", count)

    @translate_errors
    def ack(self, entry_ids: list[str]) -> None:
        """Mark decisions learned (or not learnable); they stay in the stream."""
        if entry_ids:
            self._redis.xack(self._stream, keys.LEARNERS_GROUP, *entry_ids)

    def _read(self, start: str, count: int) -> list[DecisionEntry]:
        reply = self._redis.xreadgroup(
            keys.LEARNERS_GROUP, self.consumer, {self._stream: start}, count=count
        )
        entries = reply[0][1] if reply else []
        return [_decision(entry_id, fields) for entry_id, fields in entries if fields]


def _decision(entry_id: bytes, fields: dict[bytes, bytes]) -> DecisionEntry:
    return DecisionEntry(
        entry_id.decode(),
        fields[b"id"].decode(),
        fields[b"site"].decode(),
        fields[b"decision"].decode(),
    )


def _ensure_group(client: redis.Redis, stream: str, group: str) -> None:
    try:
        client.xgroup_create(stream, group, id="0", mkstream=True)
    except redis.ResponseError as exc:
        if "BUSYGROUP" not in str(exc):
            raise


def _order(entry_id: str) -> tuple[int, int]:
    millis, _, seq = entry_id.partition("-")
    return int(millis), int(seq or 0)


def _deliveries(reply: list[list[Any]]) -> list[Delivery]:
    return [_delivery(entry_id, fields) for entry_id, fields in reply[0][1] if fields]


def _delivery(entry_id: bytes, fields: dict[bytes, bytes]) -> Delivery:
    return Delivery(entry_id=entry_id.decode(), comment_id=fields[b"id"].decode())
