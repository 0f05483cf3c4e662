"""The scoring loop: read a batch from the intake stream, score, decide, write, ack."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Self

import redis

from service.loop import Loop, Workbench, scoring_input
from service.moderation.campaigns import band_keys
from service.moderation.comments import Verdict
from service.moderation.errors import StorageUnavailableError
from service.moderation.policy import Calibration, Confirmed, caution, judge, learned_bounds
from service.moderation.rules import Seen, SiteRules, dominant_script
from service.scoring.document import ScoringInput, to_document
from service.scoring.scorer import Score
from service.scoring.site_model import SiteModel
from service.settings import Settings
from service.storage import keys
from service.storage.comment_hash import CommentText
from service.storage.seen import Seeing
from service.storage.streams import Delivery, IntakeStream, Partitions
from service.storage.verdicts import Outcome

log = logging.getLogger("modq.worker")

#: The reason a comment carries when the model could not score it.
UNSCORABLE_REASON = "could not be scored; held for a moderator"


@dataclass(frozen=True)
class Batching:
    """How a scoring worker takes its work: batch size, wait, and deliveries before giving up."""

    size: int
    block_ms: int
    max_deliveries: int

    @classmethod
    def of(cls, settings: Settings) -> Batching:
        """The batching the settings ask for."""
        return cls(settings.batch_size, settings.block_ms, settings.max_deliveries)


@dataclass(eq=False)
class Worker(Loop):
    """Scores comments from the intake stream with the shipped model and each site's own."""

    streams: Partitions[IntakeStream]
    batching: Batching
    #: Each comment's script, looked up once per batch (the learned bounds, then caution).
    _scripts: dict[str, str] = field(default_factory=dict, init=False, repr=False)

    @classmethod
    def wire(cls, bench: Workbench, settings: Settings, client: redis.Redis, consumer: str) -> Self:
        streams = [
            IntakeStream(client, part, consumer, settings.reclaim_idle_ms)
            for part in keys.partitions()
        ]
        return cls(bench, Partitions(streams), Batching.of(settings))

    def step(self) -> int:
        size = self.batching.size
        batch = self.streams.read(
            lambda s, block: s.next_batch(size, block), self.batching.block_ms
        )
        return self._handle(self.streams.current, batch)

    def finish(self) -> None:
        try:
            for stream in self.streams.consumers:
                stream.flush()
        except StorageUnavailableError as exc:
            # Their verdicts are written: delivered again, they are acked without a change.
            log.warning("event=worker.ack_failed error=%r", str(exc))

    def _handle(self, stream: IntakeStream, deliveries: list[Delivery]) -> int:
        if not deliveries:
            return 0
        started = time.perf_counter()
        found = self.bench.comments.unscored(stream.part, [d.comment_id for d in deliveries])
        fresh = [(d, c) for d, c in zip(deliveries, found, strict=True) if c is not None]
        dead = [(d, c) for d, c in fresh if d.deliveries > self.batching.max_deliveries]
        live = [(d, c) for d, c in fresh if d.deliveries <= self.batching.max_deliveries]
        documents = {c.id: _document(c) for _, c in fresh}
        calibration = self.bench.calibration.of(c.site for _, c in fresh)
        self._scripts.clear()
        rules = self.bench.rules.rules_of(c.site for _, c in fresh)
        # Redis records the batch for the rules while the model scores it.
        seeing = self._observe([c for _, c in fresh], documents, rules)
        try:
            scores = self._score([c for _, c in live], documents, calibration)
        finally:
            seen = dict(zip([c.id for _, c in fresh], seeing.result(), strict=True))
        retry = {d.entry_id for (d, _), score in zip(live, scores, strict=True) if score is None}
        verdict_for = self._judge(rules, calibration, seen)
        results = [
            Outcome(c, verdict_for(c, score))
            for (_, c), score in zip(live, scores, strict=True)
            if score is not None
        ] + [Outcome(c, verdict_for(c, None), d.deliveries) for d, c in dead]
        self.bench.comments.apply_verdicts(results)
        stream.ack([d.entry_id for d in deliveries if d.entry_id not in retry])
        log.info(
            "event=batch.scored n=%d scored=%d retry=%d dead=%d ms=%.1f",
            len(deliveries),
            len(results),
            len(retry),
            len(dead),
            (time.perf_counter() - started) * 1000,
        )
        return len(deliveries)

    def _score(
        self,
        comments: list[CommentText],
        documents: dict[str, str | None],
        calibration: dict[str, Calibration],
    ) -> list[Score | None]:
        """Score a batch; if it fails, score one by one so only the bad comment is retried.

        What a site taught may move each comment only within the bounds its decisions in
        the comment's script allow (policy.learned_bounds)."""
        if not comments:
            return []
        inputs = [scoring_input(c) for c in comments]
        models = self.bench.site_models.models(c.site for c in comments)
        per_comment = [models.get(c.site) for c in comments]
        limits = [
            learned_bounds(self._confirmed(c, calibration[c.site])) if m and m.weights else None
            for c, m in zip(comments, per_comment, strict=True)
        ]
        docs = [documents[c.id] for c in comments]
        try:
            made = [doc for doc in docs if doc is not None]
            if len(made) < len(docs):
                raise ValueError("a comment has no document")
            return list(self.bench.model.scorer.score(inputs, per_comment, made, limits))
        except Exception:  # noqa: BLE001 - one bad comment must not sink its batch
            return [
                self._score_one(item, model, limit)
                for item, model, limit in zip(inputs, per_comment, limits, strict=True)
            ]

    def _confirmed(self, comment: CommentText, site: Calibration) -> Confirmed:
        """What the comment's site has decided on comments in its script."""
        script = self._scripts.get(comment.id)
        if script is None:
            script = self._scripts[comment.id] = dominant_script(comment.content.body)
        return site.confirmed(script, script in self.bench.model.scorer.card.scripts)

    def _score_one(
        self, item: ScoringInput, site_model: SiteModel | None, limit: tuple[float, float] | None
    ) -> Score | None:
        try:
            return self.bench.model.scorer.score([item], [site_model], limits=[limit])[0]
        except Exception as exc:  # noqa: BLE001 - retried, then held for review, never lost
            log.error("event=comment.score_failed error=%s", type(exc).__name__)
            return None

    def _observe(
        self,
        comments: list[CommentText],
        documents: dict[str, str | None],
        rules: dict[str, SiteRules],
    ) -> Seeing:
        """Send the batch to be recorded where the site's flood, duplicate and campaign rules
        look; what each site saw before each comment is read from the answer."""
        bands = band_keys([documents[c.id] or "" for c in comments])
        return self.bench.seen.send(
            [(c, rules[c.site], b) for c, b in zip(comments, bands, strict=True)]
        )

    def _judge(
        self,
        rules: dict[str, SiteRules],
        calibration: dict[str, Calibration],
        seen: dict[str, Seen],
    ) -> Callable[[CommentText, Score | None], Verdict]:
        """What gives each comment its verdict: its site's rules, what the site saw of its
        author, IP and near-copies, the model's score (None: unscorable), in the policy's
        order."""
        model = self.bench.model

        def verdict(comment: CommentText, score: Score | None) -> Verdict:
            site_rules, site = rules[comment.site], calibration[comment.site]
            hits = site_rules.check(comment.content, comment.created_at, seen[comment.id])
            thresholds = site.thresholds or model.thresholds
            if score is not None and score.probability > thresholds.reject_above:
                confirmed = self._confirmed(comment, site)
                held = caution(score.probability, score.shipped, thresholds, confirmed)
                hits += [held] if held is not None else []
            probability = None if score is None else score.probability
            status = judge(probability, hits, thresholds)
            because = score.reasons if score is not None else (UNSCORABLE_REASON,)
            reasons = tuple(dict.fromkeys([*(hit.reason for hit in hits), *because]))
            return Verdict(status, probability, reasons, model.version)

        return verdict


def _document(comment: CommentText) -> str | None:
    """What the model and the campaigns read of a comment; None if it cannot be made (the
    comment is then scored alone, so that only it is retried)."""
    try:
        return to_document(scoring_input(comment))
    except Exception:  # noqa: BLE001 - scoring it alone reports and retries it
        return None
