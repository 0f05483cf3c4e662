"""The learning loop: read moderators' decisions, teach each site's model, ack."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Self

import redis

from service.loop import Loop, Workbench, scoring_input
from service.moderation.comments import Decision
from service.moderation.policy import fitted
from service.moderation.rules import dominant_script
from service.settings import Settings
from service.storage import keys
from service.storage.comment_hash import CommentText
from service.storage.streams import DecisionEntry, DecisionFeed, Partitions

log = logging.getLogger("modq.learner")

#: What a decision teaches: approved is ham, spam is spam. "reject" (off-topic, abusive)
#: says nothing about spam, so it teaches nothing.
LABELS = {Decision.APPROVE.value: 0, Decision.SPAM.value: 1}

#: Decisions read and learned at a time.
DECISIONS_PER_READ = 64


@dataclass(eq=False)
class Learner(Loop):
    """Teaches each site's model from its moderators' decisions, each decision once."""

    feeds: Partitions[DecisionFeed]
    block_ms: int

    def step(self) -> int:
        entries = self.feeds.read(lambda f, block: f.read(DECISIONS_PER_READ, block), self.block_ms)
        if not entries:
            return 0
        feed = self.feeds.current
        texts = self.bench.comments.texts(feed.part, [e.comment_id for e in entries])
        # An erased comment (or expired spam) is gone: its decision cannot teach.
        found = [(e, text) for e, text in zip(entries, texts, strict=True) if text is not None]
        taught = sum(self._learn(entry, text) for entry, text in found)
        self._calibrate(found)
        feed.ack([e.entry_id for e in entries])
        log.info("event=decisions.learned n=%d learned=%d", len(entries), taught)
        return len(entries)

    def _learn(self, entry: DecisionEntry, comment: CommentText) -> int:
        """Learn one decision; return 1 if it taught the site's model something."""
        site_models = self.bench.site_models
        # A changed decision first takes back what the earlier one taught.
        site_models.undo(comment.site, comment.id)
        label = LABELS.get(entry.decision)
        if label is None:
            return 0
        site_model = site_models.model(comment.site)
        try:
            _, changes = self.bench.model.scorer.learn(scoring_input(comment), site_model, label)
        except Exception as exc:  # noqa: BLE001 - skipped, so it cannot stop the learner
            log.error("event=decision.learn_failed error=%s", type(exc).__name__)
            return 0
        site_models.add(comment.site, comment.id, changes)
        return 1

    def _calibrate(self, decided: list[tuple[DecisionEntry, CommentText]]) -> None:
        """Count each site's decisions per script and fit its thresholds to its latest."""
        by_site: dict[str, list[tuple[float | None, bool, str]]] = {}
        for entry, comment in decided:
            if entry.decision in LABELS:
                script = dominant_script(comment.content.body)
                spam = bool(LABELS[entry.decision])
                by_site.setdefault(comment.site, []).append((entry.score, spam, script))
        store, default = self.bench.calibration, self.bench.model.thresholds
        for site, decisions in by_site.items():
            store.fit(site, fitted(store.record(site, decisions), default))

    @classmethod
    def wire(cls, bench: Workbench, settings: Settings, client: redis.Redis, consumer: str) -> Self:
        feeds = [
            DecisionFeed(client, part, consumer, settings.reclaim_idle_ms)
            for part in keys.partitions()
        ]
        return cls(bench, Partitions(feeds), settings.block_ms)
