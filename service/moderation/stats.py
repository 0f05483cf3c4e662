"""A site's daily figures: what came in, what the model did with it, what people corrected."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, timedelta

from service.moderation.comments import Comment, CommentStatus, Decision

#: The longest span one request may ask for, in days (a year and a month: key-sites' months).
MAX_DAYS = 400


@dataclass(frozen=True)
class DayStats:
    """One site's counts for one UTC day (or summed over several).

    `approved`, `held`, `spam` and `rejected` are the model's and the rules' verdicts on the
    comments `received` (scored) that day; the `moderator_*` counts are people's decisions
    made that day, and of them `missed_spam` (the model had approved it, a person said spam)
    and `false_positives` (the model or the rules had called it spam or rejected it, a person
    approved it).
    """

    day: date
    received: int = 0
    approved: int = 0
    held: int = 0
    spam: int = 0
    rejected: int = 0
    moderator_approved: int = 0
    moderator_spam: int = 0
    moderator_rejected: int = 0
    missed_spam: int = 0
    false_positives: int = 0

    @property
    def automatic(self) -> int:
        """Comments the model or the rules decided by themselves."""
        return self.approved + self.spam + self.rejected

    @property
    def accuracy(self) -> float | None:
        """Share of the automatic verdicts no person has corrected, as Akismet counts it
        (None before any): 1 - (missed spam + false positives) / automatic verdicts."""
        if not self.automatic:
            return None
        return max(0.0, 1 - (self.missed_spam + self.false_positives) / self.automatic)

    @classmethod
    def of(cls, day: date, counts: Mapping[str, int]) -> DayStats:
        """The day's figures from its stored counters (names as `COUNTER` gives them)."""
        return cls(day, **{name: int(counts.get(counter, 0)) for name, counter in COUNTER.items()})


#: Each count's counter name in storage: the verdict statuses as the worker writes them, the
#: decisions as the decision write names them.
COUNTER = {
    "received": "received",
    "approved": "approved",
    "held": "pending_review",
    "spam": "spam",
    "rejected": "rejected",
    "moderator_approved": "decided_approve",
    "moderator_spam": "decided_spam",
    "moderator_rejected": "decided_reject",
    "missed_spam": "missed_spam",
    "false_positives": "false_positives",
}
COUNTS = tuple(f.name for f in fields(DayStats) if f.name != "day")
assert set(COUNTS) == set(COUNTER)


def total(days: Iterable[DayStats], day: date) -> DayStats:
    """The counts of `days` summed, dated `day`."""
    sums = dict.fromkeys(COUNTS, 0)
    for one in days:
        for name in COUNTS:
            sums[name] += getattr(one, name)
    return DayStats(day, **sums)


def span(first: date, last: date) -> list[date]:
    """Every day from `first` to `last`, both included; ValueError if reversed or too long."""
    if last < first:
        raise ValueError("'to' is before 'from'")
    count = (last - first).days + 1
    if count > MAX_DAYS:
        raise ValueError(f"ask for at most {MAX_DAYS} days at a time")
    return [first + timedelta(days=n) for n in range(count)]


def month_span(month: date, today: date) -> list[date]:
    """The days of `month` (its first day) up to `today`."""
    following = (month.replace(day=28) + timedelta(days=4)).replace(day=1)
    return span(month, min(following - timedelta(days=1), max(today, month)))


def day_of(timestamp: float) -> date:
    """The UTC day of a Unix time: the day a count is filed under."""
    return datetime.fromtimestamp(timestamp, UTC).date()


#: The model's own verdicts that a person's approval proves wrong.
_CALLED_BAD = {CommentStatus.SPAM, CommentStatus.REJECTED}


def decision_counters(before: Comment, after: Comment) -> list[str]:
    """The counters a decision adds one to: the decision, and whether it corrects the model
    (only a comment's first decision can: a later one corrects a person)."""
    assert after.decision is not None
    names = [f"decided_{after.decision.value}"]
    if before.decision is None:
        if before.status is CommentStatus.APPROVED and after.decision is Decision.SPAM:
            names.append("missed_spam")
        elif before.status in _CALLED_BAD and after.decision is Decision.APPROVE:
            names.append("false_positives")
    return names
