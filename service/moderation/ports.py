"""The seams between the domain and storage: what the use cases and operators need."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Protocol

from service.moderation.access import KeyRecord
from service.moderation.comments import Campaign, Comment, Decision, NewComment
from service.moderation.policy import Calibration
from service.moderation.rules import SiteRules
from service.moderation.stats import DayStats

Cursor = tuple[int, str]


class CommentRepository(Protocol):
    """Where comments live."""

    def add(self, site: str, content: NewComment, author_key: str = "") -> Comment: ...

    def get(self, site: str, comment_id: str) -> Comment | None: ...

    def get_many(self, site: str, comment_ids: Sequence[str]) -> list[Comment | None]: ...

    def queue_page(
        self, site: str, after: Cursor | None, limit: int
    ) -> tuple[list[Comment], Cursor | None]: ...

    def decide(
        self, site: str, comment_id: str, change: Callable[[Comment], Comment]
    ) -> Comment | None: ...

    def campaigns(self, site: str, campaign_ids: list[str]) -> list[Campaign | None]: ...

    def held_in_campaign(self, site: str, campaign_id: str) -> list[str]: ...

    def mark_campaign(self, site: str, campaign_id: str, decision: Decision) -> None: ...


class PrivacyRepository(Protocol):
    """Where authors' indexes live, and how comments are erased."""

    def author_comment_ids(self, site: str, author_key: str) -> list[str]: ...

    def erase(self, site: str, comment_id: str, author_key: str) -> None: ...

    def forget_author(self, site: str, author_key: str) -> None: ...

    def histories(self, site: str, author_keys: list[str]) -> list[dict[str, int]]: ...

    def compact(self) -> bool: ...


class LearningRepository(Protocol):
    """What each site's moderators' decisions have taught its model."""

    def summary_of(self, site: str) -> tuple[int, int]: ...


class CalibrationRepository(Protocol):
    """What each site's decisions established: its thresholds, its decisions per script."""

    def calibration(self, site: str) -> Calibration: ...


class StatsRepository(Protocol):
    """Where each site's daily counts live."""

    def days(self, site: str, days: Sequence[date]) -> list[DayStats]: ...


class RulesRepository(Protocol):
    """Where each site's rules live."""

    def rules(self, site: str) -> SiteRules: ...

    def set_rules(self, site: str, rules: SiteRules) -> None: ...


class KeyRepository(Protocol):
    """Where key records live."""

    def find(self, key_id: str) -> KeyRecord | None: ...


class Clock(Protocol):
    """Seconds since the epoch."""

    def __call__(self) -> float: ...


@dataclass(frozen=True)
class Durability:
    """Problems found in the storage's configuration; none means acknowledged writes survive."""

    problems: tuple[str, ...]

    @property
    def safe(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class Stats:
    """A snapshot of the work in storage: counts only, never comment content."""

    backlog: int
    pending: int
    queues: dict[str, int] = field(default_factory=dict)
    counters: dict[str, dict[str, int]] = field(default_factory=dict)
    learning_steps: dict[str, int] = field(default_factory=dict)
    #: Webhook events per site: waiting to be delivered, and parked after failing a day.
    webhook_waiting: dict[str, int] = field(default_factory=dict)
    webhook_parked: dict[str, int] = field(default_factory=dict)


class Monitor(Protocol):
    """What operators ask of storage: is it up, can it lose what it acknowledges, what waits."""

    @property
    def accept_data_loss(self) -> bool: ...

    def status(self) -> str: ...

    def durability(self) -> Durability: ...

    def stats(self) -> Stats: ...


class VerdictWaiter(Protocol):
    """Lets a request wait, within a bound, for a comment's verdict."""

    def wait(self, comment_id: str, timeout_s: float, scored: Callable[[], bool]) -> bool: ...
