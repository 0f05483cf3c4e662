"""The learning loop: read moderators' decisions, teach each site's model, ack."""

from __future__ import annotations

import logging

import redis

from service.loop import Loop, consumer_name, scoring_input
from service.moderation.comments import Decision
from service.scoring.watch import CHECK_EVERY_S, LoadedModel, ModelWatch, load_model
from service.settings import Settings
from service.storage.comment_hash import CommentText
from service.storage.comments import CommentStore, Retention
from service.storage.learned import LearnedStore
from service.storage.streams import DecisionEntry, DecisionFeed

log = logging.getLogger("modq.learner")

#: What a decision teaches: approved is ham, spam is spam. "reject" (off-topic, abusive)
#: says nothing about spam, so it teaches nothing.
LABELS = {Decision.APPROVE.value: 0, Decision.SPAM.value: 1}

#: Decisions read and learned at a time.
DECISIONS_PER_READ = 64


class Learner(Loop):
    """Teaches each site's model from its moderators' decisions, each decision once."""

    def __init__(
        self,
        feed: DecisionFeed,
        comments: CommentStore,
        site_models: LearnedStore,
        model: LoadedModel,
        block_ms: int,
        watch: ModelWatch | None = None,
    ) -> None:
        super().__init__(model, watch)
        self._feed = feed
        self._comments = comments
        self._site_models = site_models
        self._block_ms = block_ms

    def step(self) -> int:
        entries = self._feed.read(DECISIONS_PER_READ, self._block_ms)
        if not entries:
            return 0
        texts = self._comments.texts([e.comment_id for e in entries])
        # An erased comment (or expired spam) is gone: its decision cannot teach.
        taught = sum(
            self._learn(entry, text)
            for entry, text in zip(entries, texts, strict=True)
            if text is not None
        )
        self._feed.ack([e.entry_id for e in entries])
        log.info("event=decisions.learned n=%d learned=%d", len(entries), taught)
        return len(entries)

    def _learn(self, entry: DecisionEntry, comment: CommentText) -> int:
        """Learn one decision; return 1 if it taught the site's model something."""
        # A changed decision first takes back what the earlier one taught.
        self._site_models.undo(comment.site, comment.id)
        label = LABELS.get(entry.decision)
        if label is None:
            return 0
        site_model = self._site_models.model(comment.site)
        try:
            _, changes = self.model.scorer.learn(scoring_input(comment), site_model, label)
        except Exception as exc:  # noqa: BLE001 - skipped, so it cannot stop the learner
            log.error("event=decision.learn_failed error=%s", type(exc).__name__)
            return 0
        self._site_models.add(comment.site, comment.id, changes)
        return 1


def build(
    settings: Settings,
    client: redis.Redis,
    name: str | None = None,
    watch_every_s: float = CHECK_EVERY_S,
) -> Learner:
    """Wire a learner: the decisions stream, the comments' texts, the sites' learned models."""
    return Learner(
        DecisionFeed(client, consumer_name(name), settings.reclaim_idle_ms),
        CommentStore(client, retention=Retention.of(settings)),
        LearnedStore(client),
        load_model(settings),
        settings.block_ms,
        ModelWatch(settings, watch_every_s),
    )
