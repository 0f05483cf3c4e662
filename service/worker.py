"""The scoring loop: read a batch from the intake stream, score, decide, write, ack."""

from __future__ import annotations

import logging
import os
import signal
import socket
import time
from collections.abc import Sequence
from typing import Protocol

import redis

from service.moderation.comments import Comment, Verdict
from service.moderation.policy import UNSCORABLE, Thresholds
from service.scoring import Score, Scorer, ScoringInput
from service.settings import Settings
from service.storage.comments import CommentStore
from service.storage.connection import connect
from service.storage.streams import Delivery, IntakeStream

log = logging.getLogger("modq.worker")

#: The reason a comment carries when the model could not score it.
UNSCORABLE_REASON = "could not be scored; held for a moderator"


class BatchScorer(Protocol):
    """Anything that scores a batch of comments, like `service.scoring.Scorer`."""

    def score(self, items: Sequence[ScoringInput]) -> list[Score]: ...


def consumer_name() -> str:
    """A name unique to this process among the scoring workers."""
    return f"{socket.gethostname()}-{os.getpid()}"


class Worker:
    """Scores comments from the intake stream until stopped (or, in burst mode, until idle)."""

    def __init__(
        self,
        store: CommentStore,
        stream: IntakeStream,
        scorer: BatchScorer,
        thresholds: Thresholds,
        model_version: str,
        *,
        batch_size: int = 64,
        block_ms: int = 1000,
        reclaim_idle_ms: int = 60_000,
    ) -> None:
        self.store = store
        self.stream = stream
        self.scorer = scorer
        self.thresholds = thresholds
        self.model_version = model_version
        self._batch_size = batch_size
        self._block_ms = block_ms
        self._reclaim_idle_ms = reclaim_idle_ms
        self._stopping = False
        self._last_reclaim = 0.0

    def stop(self) -> None:
        """Finish the batch in hand, then return from `run`."""
        self._stopping = True

    def run(self, *, burst: bool = False, max_items: int | None = None) -> int:
        """Score until stopped; with `burst`, return once nothing is waiting. Return the count."""
        self.stream.ensure_group()
        handled = self._handle(self.stream.own_pending(self._batch_size * 100))
        while not self._stopping and (max_items is None or handled < max_items):
            batch = self._next_batch()
            if not batch and burst:
                break
            handled += self._handle(batch)
        return handled

    def _next_batch(self) -> list[Delivery]:
        now = time.monotonic()
        if now - self._last_reclaim >= self._reclaim_idle_ms / 2000:
            self._last_reclaim = now
            stale = self.stream.claim_stale(self._reclaim_idle_ms, self._batch_size)
            if stale:
                return stale
        return self.stream.new(self._batch_size, self._block_ms)

    def _handle(self, deliveries: list[Delivery]) -> int:
        if not deliveries:
            return 0
        started = time.perf_counter()
        found = self.store.get_many([d.comment_id for d in deliveries])
        todo = [c for c in found if c is not None and c.scored_at is None]
        verdicts = self._judge(todo)
        self.store.apply_verdicts(list(zip(todo, verdicts, strict=True)))
        self.stream.ack([d.entry_id for d in deliveries])
        log.info(
            "event=batch.scored n=%d scored=%d ms=%.1f",
            len(deliveries),
            len(todo),
            (time.perf_counter() - started) * 1000,
        )
        return len(deliveries)

    def _judge(self, comments: list[Comment]) -> list[Verdict]:
        inputs = [scoring_input(c) for c in comments]
        try:
            scores: list[Score | None] = list(self.scorer.score(inputs))
        except Exception:  # noqa: BLE001 - one bad comment must not sink its batch
            scores = [self._score_one(item) for item in inputs]
        return [self._verdict(score) for score in scores]

    def _score_one(self, item: ScoringInput) -> Score | None:
        try:
            return self.scorer.score([item])[0]
        except Exception as exc:  # noqa: BLE001 - held for review instead of lost
            log.error("event=comment.unscorable error=%s", type(exc).__name__)
            return None

    def _verdict(self, score: Score | None) -> Verdict:
        if score is None:
            return Verdict(UNSCORABLE, None, (UNSCORABLE_REASON,), self.model_version)
        status = self.thresholds.status_for(score.probability)
        return Verdict(status, score.probability, score.reasons, self.model_version)


def scoring_input(comment: Comment) -> ScoringInput:
    """What the model reads of a stored comment."""
    author = comment.content.author
    return ScoringInput(
        body=comment.content.body,
        author_name=author.name,
        author_email=author.email,
        author_url=author.url,
    )


def build(settings: Settings, client: redis.Redis) -> Worker:
    """Wire a worker: the model file (hash-checked), the thresholds, storage and the stream."""
    scorer = Scorer.load(settings.model_path)
    card = scorer.card
    thresholds = Thresholds(
        card.approve_below if settings.approve_below is None else settings.approve_below,
        card.reject_above if settings.reject_above is None else settings.reject_above,
    )
    return Worker(
        CommentStore(client),
        IntakeStream(client, consumer_name()),
        scorer,
        thresholds,
        card.version,
        batch_size=settings.batch_size,
        block_ms=settings.block_ms,
        reclaim_idle_ms=settings.reclaim_idle_ms,
    )


def run(settings: Settings, url: str, *, burst: bool = False) -> int:
    """Run one worker against the Redis at `url` until SIGTERM/SIGINT (or idle, with `burst`)."""
    worker = build(settings, connect(url, timeout_s=max(5.0, settings.block_ms / 1000 + 2)))
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: worker.stop())
    log.info("event=worker.started model=%s", worker.model_version)
    handled = worker.run(burst=burst)
    log.info("event=worker.stopped handled=%d", handled)
    return handled
