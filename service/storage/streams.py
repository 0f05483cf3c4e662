"""Streams read by consumer groups: the intake (to score) and the decisions (to learn from)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import redis

from service.storage import keys
from service.storage.connection import translate_errors
from service.storage.keys import Part

#: What a consumer held when it stopped is read back first, up to this many reads' worth.
RECOVER_READS = 100
#: How often, per reclaim timeout, a consumer looks for entries others have held too long.
RECLAIM_CHECKS_PER_TIMEOUT = 2

Entry = tuple[bytes, dict[bytes, bytes]]
C = TypeVar("C", bound="GroupConsumer")
T = TypeVar("T")


class GroupConsumer:
    """One consumer of a stream's group: its own unacknowledged entries first, then those
    others have held too long, then new ones."""

    def __init__(
        self, client: redis.Redis, stream: str, group: str, consumer: str, reclaim_idle_ms: int
    ) -> None:
        self._redis = client
        self._stream, self._group, self.consumer = stream, group, consumer
        self._reclaim_idle_ms = reclaim_idle_ms
        self._reclaim_every_s = reclaim_idle_ms / 1000 / RECLAIM_CHECKS_PER_TIMEOUT
        self._last_reclaim = -math.inf
        self._recovered = False

    def _take(self, count: int, block_ms: int | None) -> tuple[list[Entry], bool]:
        """Entries to handle, and whether they were delivered before (held or reclaimed)."""
        if not self._recovered:
            _ensure_group(self._redis, self._stream, self._group)
            self._recovered = True
            self._before_old()
            held = self._read("0", count * RECOVER_READS, None)
            if held:
                return held, True
        now = time.monotonic()
        if now - self._last_reclaim >= self._reclaim_every_s:
            self._last_reclaim = now
            self._before_old()
            stale = self._redis.xautoclaim(
                self._stream, self._group, self.consumer, self._reclaim_idle_ms, "0-0", count
            )[1]
            if stale:
                return [entry for entry in stale if entry[1]], True
        return self._new(count, block_ms), False

    def _before_old(self) -> None:
        """Called before entries delivered earlier are read again."""

    def _new(self, count: int, block_ms: int | None) -> list[Entry]:
        return self._read(">", count, block_ms)

    def _read(self, start: str, count: int, block_ms: int | None) -> list[Entry]:
        reply = self._redis.xreadgroup(
            self._group, self.consumer, {self._stream: start}, count=count, block=block_ms
        )
        return _entries(reply) if reply else []


@dataclass(frozen=True)
class Delivery:
    """One stream entry handed to a worker: the entry id and the comment id it carries."""

    entry_id: str
    comment_id: str
    deliveries: int = 1


class IntakeStream(GroupConsumer):
    """A scoring worker's view of a partition's intake stream under the scorers' group."""

    def __init__(
        self, client: redis.Redis, part: Part, consumer: str, reclaim_idle_ms: int
    ) -> None:
        super().__init__(
            client, keys.intake_stream(part), keys.SCORERS_GROUP, consumer, reclaim_idle_ms
        )
        self.part = part
        self._unacked: list[str] = []

    @translate_errors
    def next_batch(self, count: int, block_ms: int | None) -> list[Delivery]:
        """Up to `count` comments to score, waiting up to `block_ms` if none is waiting
        (None: not at all).

        Entries delivered before come with how many times they have been delivered.
        """
        entries, redelivered = self._take(count, block_ms)
        deliveries = [_delivery(entry_id, fields) for entry_id, fields in entries]
        return self._with_counts(deliveries) if redelivered else deliveries

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

    def _before_old(self) -> None:
        self.flush()

    def _new(self, count: int, block_ms: int | None) -> list[Entry]:
        # Acknowledgements not yet sent go in the same transaction, before a read that does
        # not wait: one round trip and one fsync for both. Only if nothing is waiting does
        # it then block.
        if self._unacked:
            with self._redis.pipeline(transaction=True) as pipe:
                self._queue_ack(pipe)
                pipe.xreadgroup(self._group, self.consumer, {self._stream: ">"}, count=count)
                reply = pipe.execute()[-1]
            self._unacked = []
            if reply:
                return _entries(reply)
        return self._read(">", count, block_ms)

    def _queue_ack(self, pipe: redis.client.Pipeline) -> None:
        pipe.xack(self._stream, self._group, *self._unacked)
        pipe.xdel(self._stream, *self._unacked)

    def _with_counts(self, deliveries: list[Delivery]) -> list[Delivery]:
        if not deliveries:
            return []
        ids = sorted(deliveries, key=lambda d: _order(d.entry_id))
        pending = self._redis.xpending_range(
            self._stream,
            self._group,
            min=ids[0].entry_id,
            max=ids[-1].entry_id,
            count=len(deliveries) * 4 + 100,  # the batch, and room for others it holds
            consumername=self.consumer,
        )
        counts = {p["message_id"].decode(): int(p["times_delivered"]) for p in pending}
        return [
            Delivery(d.entry_id, d.comment_id, counts.get(d.entry_id, d.deliveries))
            for d in deliveries
        ]


@dataclass(frozen=True)
class DecisionEntry:
    """A moderator's decision as the learners read it from the decisions stream."""

    entry_id: str
    comment_id: str
    site: str
    decision: str
    score: float | None = None  # P(spam) at the comment's verdict (None: never scored)


class DecisionFeed(GroupConsumer):
    """A learner's view of a partition's decisions stream under the learners' group.

    The stream is the audit log too, so entries are acknowledged, never deleted. Each
    decision is learned by one learner; what a stopped learner held goes to another.
    """

    def __init__(
        self, client: redis.Redis, part: Part, consumer: str, reclaim_idle_ms: int
    ) -> None:
        super().__init__(
            client, keys.decisions_stream(part), keys.LEARNERS_GROUP, consumer, reclaim_idle_ms
        )
        self.part = part

    @translate_errors
    def read(self, count: int, block_ms: int | None = None) -> list[DecisionEntry]:
        """Up to `count` decisions to learn, waiting up to `block_ms` if none is waiting."""
        entries, _ = self._take(count, block_ms)
        return [_decision(entry_id, fields) for entry_id, fields in entries]

    @translate_errors
    def ack(self, entry_ids: list[str]) -> None:
        """Mark decisions learned (or not learnable); they stay in the stream."""
        if entry_ids:
            self._redis.xack(self._stream, self._group, *entry_ids)


class Partitions(Generic[C]):
    """One consumer per partition, read in turn, so that one process serves them all and no
    read touches two partitions (on Redis Cluster, two slots). With one partition this is
    the consumer itself. Otherwise each partition is asked in turn without waiting, the
    next one after the partition that last had work; when none has any, one waits for
    `block_ms` divided among them, and the turn moves on.
    """

    def __init__(self, consumers: Sequence[C]) -> None:
        self.consumers = list(consumers)
        self.current = self.consumers[0]
        self._turn = 0

    def read(self, take: Callable[[C, int | None], list[T]], block_ms: int | None) -> list[T]:
        """What `take` gives from the first partition with work; `current` is that one."""
        count = len(self.consumers)
        if count > 1:
            for n in range(count):
                consumer = self.consumers[(self._turn + n) % count]
                found = take(consumer, None)
                if found:
                    self.current, self._turn = consumer, (self._turn + n + 1) % count
                    return found
            if block_ms is not None:
                block_ms = max(1, block_ms // count)
        self.current = self.consumers[self._turn]
        self._turn = (self._turn + 1) % count
        return take(self.current, block_ms)


def _entries(reply: Any) -> list[Entry]:
    """The entries of a one-stream XREADGROUP reply (a list of [stream, entries], or a dict
    of them as redis-py's cluster pipeline gives it), deleted ones left out."""
    entries = next(iter(reply.values())) if isinstance(reply, dict) else reply[0][1]
    if entries and isinstance(entries[0], dict | list) and len(entries[0]) == 1:
        entries = entries[0]  # a RESP3-shaped map nested once more
    return [(entry_id, _fields(fields)) for entry_id, fields in entries if fields]


def _fields(fields: Any) -> dict[bytes, bytes]:
    """An entry's fields as a dict (the cluster pipeline leaves them a flat list)."""
    if isinstance(fields, dict):
        return fields
    return dict(zip(fields[::2], fields[1::2], strict=True))


def _decision(entry_id: bytes, fields: dict[bytes, bytes]) -> DecisionEntry:
    return DecisionEntry(
        entry_id.decode(),
        fields[b"id"].decode(),
        fields[b"site"].decode(),
        fields[b"decision"].decode(),
        float(fields[b"score"]) if fields.get(b"score") else None,
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


def _delivery(entry_id: bytes, fields: dict[bytes, bytes]) -> Delivery:
    return Delivery(entry_id=entry_id.decode(), comment_id=fields[b"id"].decode())
