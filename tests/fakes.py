"""In-memory stand-ins for the domain's ports, so the use cases can be tested without Redis."""

from __future__ import annotations

import dataclasses
import itertools
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date

from service.moderation.access import KeyRecord
from service.moderation.comments import Campaign, Comment, CommentStatus, Decision, NewComment
from service.moderation.policy import Calibration
from service.moderation.ports import Cursor
from service.moderation.rules import SiteRules
from service.moderation.stats import DayStats


class Clock:
    """A clock that stands still until told to move."""

    def __init__(self, now: float = 1_700_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


class Comments:
    """The CommentRepository in a dict: comments by id, the queue derived from their status."""

    def __init__(self, clock: Clock) -> None:
        self.stored: dict[str, Comment] = {}
        self.calls: dict[tuple[str, str], Decision] = {}  # (site, campaign) -> latest call
        self._clock = clock
        self._ids = itertools.count(1)

    def add(self, site: str, content: NewComment, author_key: str = "") -> Comment:
        number = next(self._ids)
        comment = Comment(f"{number:032x}", site, content, self._clock() + number / 1e6, author_key)
        self.stored[comment.id] = comment
        return comment

    def get(self, site: str, comment_id: str) -> Comment | None:
        return self.stored.get(comment_id)

    def get_many(self, site: str, comment_ids: Sequence[str]) -> list[Comment | None]:
        return [self.stored.get(comment_id) for comment_id in comment_ids]

    def queue_page(
        self, site: str, after: Cursor | None, limit: int
    ) -> tuple[list[Comment], Cursor | None]:
        held = sorted(
            (_position(c), c)
            for c in self.stored.values()
            if c.site == site and c.status is CommentStatus.PENDING_REVIEW
        )
        later = [(position, c) for position, c in held if after is None or position > after]
        page = later[:limit]
        cursor = page[-1][0] if len(later) > limit else None
        return [c for _, c in page], cursor

    def decide(
        self, site: str, comment_id: str, change: Callable[[Comment], Comment]
    ) -> Comment | None:
        current = self.stored.get(comment_id)
        if current is None or current.site != site:
            return None
        self.stored[comment_id] = change(current)
        return self.stored[comment_id]

    def campaigns(self, site: str, campaign_ids: list[str]) -> list[Campaign | None]:
        return [self._campaign(site, cid) for cid in campaign_ids]

    def held_in_campaign(self, site: str, campaign_id: str) -> list[str]:
        page, _ = self.queue_page(site, None, len(self.stored))
        return [c.id for c in page if c.campaign is not None and c.campaign.id == campaign_id]

    def mark_campaign(self, site: str, campaign_id: str, decision: Decision) -> None:
        self.calls[site, campaign_id] = decision

    def hold(self, comment_id: str, score: float = 0.5, campaign: str = "") -> None:
        """Give a comment the verdict a worker gives an uncertain one, in a campaign if named."""
        held = CommentStatus.PENDING_REVIEW
        self.stored[comment_id] = dataclasses.replace(
            self.stored[comment_id],
            status=held,
            score=score,
            campaign=Campaign(campaign) if campaign else None,
        )

    def _campaign(self, site: str, campaign_id: str) -> Campaign | None:
        copies = [
            c
            for c in self.stored.values()
            if c.site == site and c.campaign is not None and c.campaign.id == campaign_id
        ]
        if not copies and (site, campaign_id) not in self.calls:
            return None
        return Campaign(campaign_id, max(len(copies), 1), self.calls.get((site, campaign_id)))


class Privacy:
    """The PrivacyRepository over a `Comments`: author indexes and histories derived from it."""

    def __init__(self, comments: Comments) -> None:
        self._comments = comments
        self.compactions = 0

    def author_comment_ids(self, site: str, author_key: str) -> list[str]:
        return sorted(c.id for c in self._by_author(site, author_key))

    def erase(self, site: str, comment_id: str, author_key: str) -> None:
        self._comments.stored.pop(comment_id, None)

    def forget_author(self, site: str, author_key: str) -> None:
        assert not self._by_author(site, author_key), "erase the comments first"

    def histories(self, site: str, author_keys: list[str]) -> list[dict[str, int]]:
        return [
            dict(Counter(c.decision.value for c in self._by_author(site, key) if c.decision))
            for key in author_keys
        ]

    def compact(self) -> bool:
        self.compactions += 1
        return True

    def _by_author(self, site: str, author_key: str) -> list[Comment]:
        stored = self._comments.stored.values()
        return [c for c in stored if c.site == site and c.author_key == author_key]


class Keys:
    """The KeyRepository in a dict."""

    def __init__(self) -> None:
        self.records: dict[str, KeyRecord] = {}

    def find(self, key_id: str) -> KeyRecord | None:
        return self.records.get(key_id)


class Calibrations:
    """The CalibrationRepository in a dict: nothing established until told."""

    def __init__(self) -> None:
        self.stored: dict[str, Calibration] = {}

    def calibration(self, site: str) -> Calibration:
        return self.stored.get(site, Calibration())


class Rules:
    """The RulesRepository in a dict: the defaults until a site sets its own."""

    def __init__(self) -> None:
        self.by_site: dict[str, SiteRules] = {}

    def rules(self, site: str) -> SiteRules:
        return self.by_site.get(site, SiteRules())

    def set_rules(self, site: str, rules: SiteRules) -> None:
        self.by_site[site] = rules


class Learning:
    """The LearningRepository in a dict: (steps, features) by site."""

    def __init__(self) -> None:
        self.by_site: dict[str, tuple[int, int]] = {}

    def summary_of(self, site: str) -> tuple[int, int]:
        return self.by_site.get(site, (0, 0))


def _position(comment: Comment) -> Cursor:
    return round(comment.created_at * 1e6), comment.id


class Stats:
    """The StatsRepository in a dict: counts by (site, day), zeros where none were set."""

    def __init__(self) -> None:
        self.by_day: dict[tuple[str, date], DayStats] = {}

    def days(self, site: str, days: Sequence[date]) -> list[DayStats]:
        return [self.by_day.get((site, day), DayStats(day)) for day in days]
