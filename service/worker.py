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

from service import model_watch
from service.learning import SiteModel
from service.model_watch import ModelWatch
from service.moderation.comments import Decision, Verdict
from service.moderation.errors import StorageUnavailableError
from service.moderation.policy import UNSCORABLE, Thresholds
from service.scoring import Score, ScoringInput
from service.settings import Settings
from service.storage.comments import CommentStore, Retention
from service.storage.connection import connect
from service.storage.learned import LearnedStore
from service.storage.streams import DecisionFeed, Delivery, IntakeStream
from service.storage.verdicts import Outcome, Unscored

log = logging.getLogger("modq.worker")

#: The reason a comment carries when the model could not score it.
UNSCORABLE_REASON = "could not be scored; held for a moderator"

#: Pause before trying Redis again after it failed.
_STORAGE_RETRY_S = 1.0


#: What a decision teaches: approved is ham, spam is spam. "reject" (off-topic, abusive)
#: says nothing about spam, so it teaches nothing.
LABELS = {Decision.APPROVE.value: 0, Decision.SPAM.value: 1}

#: Decisions learned per step, and how often a busy worker stops scoring to learn.
_LEARN_BATCH = 64
_LEARN_EVERY_S = 0.5


class BatchScorer(Protocol):
    """Anything that scores a batch of comments, like `service.scoring.Scorer`."""

    def score(
        self, items: Sequence[ScoringInput], learned: Sequence[SiteModel | None] = ()
    ) -> list[Score]: ...

    def learn(
        self, item: ScoringInput, model: SiteModel, label: int
    ) -> tuple[float, dict[int, tuple[float, float]]]: ...


def consumer_name(name: str | None = None) -> str:
    """This worker's consumer name: host and `name` (stable across restarts) or the pid."""
    return f"{socket.gethostname()}-{name or os.getpid()}"


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
        reclaim_idle_ms: int = 30_000,
        max_deliveries: int = 5,
        watch: ModelWatch | None = None,
        learned: LearnedStore | None = None,
        decisions: DecisionFeed | None = None,
    ) -> None:
        self.store = store
        self.stream = stream
        self.scorer = scorer
        self.thresholds = thresholds
        self.model_version = model_version
        self._batch_size = batch_size
        self._block_ms = block_ms
        self._reclaim_idle_ms = reclaim_idle_ms
        self._max_deliveries = max_deliveries
        self._watch = watch
        self.learned = learned
        self.decisions = decisions
        self._last_learn = 0.0
        self._stopping = False
        self._recovered = False
        self._last_reclaim = 0.0

    def stop(self) -> None:
        """Finish the batch in hand, then return from `run`."""
        self._stopping = True

    def run(self, *, burst: bool = False, max_items: int | None = None) -> int:
        """Score until stopped; with `burst`, return once nothing is waiting. Return the count."""
        handled = 0
        while not self._stopping and (max_items is None or handled < max_items):
            self._use_new_model()
            try:
                learned = self._learn(wait=not burst)
                batch = self._next_batch()
                if not batch and burst and not learned:
                    break
                handled += self._handle(batch)
            except StorageUnavailableError as exc:
                log.warning("event=worker.storage_unavailable error=%r", str(exc))
                time.sleep(_STORAGE_RETRY_S)
        self._flush_acks()
        return handled

    def _flush_acks(self) -> None:
        try:
            self.stream.flush()
        except StorageUnavailableError as exc:
            # Their verdicts are written: delivered again, they are acked without a change.
            log.warning("event=worker.ack_failed error=%r", str(exc))

    def _use_new_model(self) -> None:
        loaded = self._watch.poll() if self._watch else None
        if loaded is not None:
            self.scorer, self.thresholds = loaded.scorer, loaded.thresholds
            self.model_version = loaded.version

    def _next_batch(self) -> list[Delivery]:
        if not self._recovered:
            # What this consumer held when it last stopped comes first, then the rest.
            self.stream.ensure_group()
            self._recovered = True
            held = self.stream.own_pending(self._batch_size * 100)
            if held:
                return self.stream.with_counts(held)
        now = time.monotonic()
        if now - self._last_reclaim >= self._reclaim_idle_ms / 2000:
            self._last_reclaim = now
            stale = self.stream.claim_stale(self._reclaim_idle_ms, self._batch_size)
            if stale:
                return self.stream.with_counts(stale)
        return self.stream.new(self._batch_size, self._block_ms)

    def _handle(self, deliveries: list[Delivery]) -> int:
        if not deliveries:
            return 0
        started = time.perf_counter()
        found = self.store.unscored([d.comment_id for d in deliveries])
        fresh = [(d, c) for d, c in zip(deliveries, found, strict=True) if c is not None]
        dead = [(d, c) for d, c in fresh if d.deliveries > self._max_deliveries]
        live = [(d, c) for d, c in fresh if d.deliveries <= self._max_deliveries]
        scores = self._score([c for _, c in live])
        retry = {d.entry_id for (d, _), score in zip(live, scores, strict=True) if score is None}
        results = [
            Outcome(c, self._verdict(score))
            for (_, c), score in zip(live, scores, strict=True)
            if score is not None
        ] + [Outcome(c, self._unscorable(), dead_letter=d.deliveries) for d, c in dead]
        self.store.apply_verdicts(results)
        self.stream.ack([d.entry_id for d in deliveries if d.entry_id not in retry])
        log.info(
            "event=batch.scored n=%d scored=%d retry=%d dead=%d ms=%.1f",
            len(deliveries),
            len(results),
            len(retry),
            len(dead),
            (time.perf_counter() - started) * 1000,
        )
        return len(deliveries)

    def _score(self, comments: list[Unscored]) -> list[Score | None]:
        """Score a batch; if it fails, score one by one so only the bad comment is retried."""
        inputs = [scoring_input(c) for c in comments]
        if not inputs:
            return []
        models = self.learned.models(c.site for c in comments) if self.learned else {}
        learned = [models.get(c.site) for c in comments] if models else []
        try:
            return list(self.scorer.score(inputs, learned))
        except Exception:  # noqa: BLE001 - one bad comment must not sink its batch
            return [
                self._score_one(item, models.get(c.site))
                for item, c in zip(inputs, comments, strict=True)
            ]

    def _score_one(self, item: ScoringInput, learned: SiteModel | None) -> Score | None:
        try:
            return self.scorer.score([item], [learned])[0]
        except Exception as exc:  # noqa: BLE001 - retried, then held for review, never lost
            log.error("event=comment.score_failed error=%s", type(exc).__name__)
            return None

    def _learn(self, wait: bool = True) -> int:
        """Learn from moderators' new decisions (with `wait`, at most every _LEARN_EVERY_S)."""
        now = time.monotonic()
        if self.learned is None or self.decisions is None:
            return 0
        if wait and now - self._last_learn < _LEARN_EVERY_S:
            return 0
        self._last_learn = now
        entries = self.decisions.read(_LEARN_BATCH)
        if not entries:
            return 0
        texts = self.store.texts([e.comment_id for e in entries])
        learned = 0
        for entry, comment in zip(entries, texts, strict=True):
            label = LABELS.get(entry.decision)
            # An erased comment (or expired spam) is gone: its decision cannot teach.
            if comment is None:
                continue
            # A changed decision first takes back what the earlier one taught.
            self.learned.undo(comment.site, comment.id)
            if label is not None:
                learned += self._learn_one(self.learned, comment, label)
        self.decisions.ack([e.entry_id for e in entries])
        log.info("event=decisions.learned n=%d learned=%d", len(entries), learned)
        return len(entries)

    def _learn_one(self, store: LearnedStore, comment: Unscored, label: int) -> int:
        item = scoring_input(comment)
        try:
            _, changes = self.scorer.learn(item, store.model(comment.site), label)
        except Exception as exc:  # noqa: BLE001 - skipped, so it cannot stop the worker
            log.error("event=decision.learn_failed error=%s", type(exc).__name__)
            return 0
        store.add(comment.site, comment.id, changes)
        return 1

    def _verdict(self, score: Score) -> Verdict:
        status = self.thresholds.status_for(score.probability)
        return Verdict(status, score.probability, score.reasons, self.model_version)

    def _unscorable(self) -> Verdict:
        return Verdict(UNSCORABLE, None, (UNSCORABLE_REASON,), self.model_version)


def scoring_input(comment: Unscored) -> ScoringInput:
    """What the model reads of a stored comment."""
    return ScoringInput(comment.body, comment.name, comment.email, comment.url)


def build(settings: Settings, client: redis.Redis, name: str | None = None) -> Worker:
    """Wire a worker: the model file (hash-checked), the thresholds, storage and the stream."""
    model = model_watch.load(settings)
    return Worker(
        CommentStore(client, retention=Retention.of(settings)),
        IntakeStream(client, consumer_name(name)),
        model.scorer,
        model.thresholds,
        model.version,
        batch_size=settings.batch_size,
        block_ms=settings.block_ms,
        reclaim_idle_ms=settings.reclaim_idle_ms,
        max_deliveries=settings.max_deliveries,
        watch=model_watch.ModelWatch(settings),
        learned=LearnedStore(client),
        decisions=DecisionFeed(client, consumer_name(name)),
    )


def run(settings: Settings, url: str, *, burst: bool = False, name: str | None = None) -> int:
    """Run one worker against the Redis at `url` until SIGTERM/SIGINT (or idle, with `burst`)."""
    client = connect(url, timeout_s=max(5.0, settings.block_ms / 1000 + 2))
    worker = build(settings, client, name)
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: worker.stop())
    log.info("event=worker.started model=%s", worker.model_version)
    handled = worker.run(burst=burst)
    log.info("event=worker.stopped handled=%d", handled)
    return handled
