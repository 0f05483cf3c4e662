"""The verdict policy: a spam probability and the site's rules become a status, in one order.

1. A sure rule (a filled honeypot, a disallowed word) makes a comment spam, whatever the
   model says.
2. A duplicate (the same body from the same author within a day) is rejected.
3. Otherwise the model's probability decides, at the thresholds: approved, held or spam.
4. A hold rule (too many links, a moderation word, posted too fast, a flood, a script the
   site does not allow) holds what the model would have published; it does not overrule spam.
5. A trusted author (enough comments approved at the site) is published where the model
   was unsure; hold rules still hold them, and the model's spam stays spam.
6. A comment the model could not score is held for a person.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from service.moderation.comments import CommentStatus
from service.moderation.rules import Effect, Hit


@dataclass(frozen=True)
class Thresholds:
    """Below `approve_below` is ham, above `reject_above` is spam, between goes to review."""

    approve_below: float
    reject_above: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.approve_below <= self.reject_above <= 1.0:
            raise ValueError(f"need 0 <= approve_below <= reject_above <= 1, got {self}")

    def status_for(self, probability: float) -> CommentStatus:
        """Return the status a comment with this spam probability gets without a moderator."""
        if probability < self.approve_below:
            return CommentStatus.APPROVED
        if probability > self.reject_above:
            return CommentStatus.SPAM
        return CommentStatus.PENDING_REVIEW


#: Decisions of each kind (approve, spam) a site needs before its own thresholds apply.
MIN_EACH = 30
#: What a site's own thresholds may cost, over its recent decisions: ham rejected, spam
#: approved (issue #13's bounds).
HAM_REJECTED, SPAM_APPROVED = 0.005, 0.03
#: How far they may go: never reject below, nor approve above, an even chance; never
#: reject only what the model is certain of, nor approve only what it is sure is ham.
REJECT_RANGE, APPROVE_RANGE = (0.5, 0.995), (0.005, 0.5)


def fitted(decided: Sequence[tuple[float, bool]]) -> Thresholds | None:
    """A site's own thresholds, from its moderators' recent decisions: each the P(spam) its
    comment had at its verdict and whether a person called it spam. None until there are
    MIN_EACH of each kind.

    The widest pair that, over these comments, would have rejected at most HAM_REJECTED of
    the ham and approved at most SPAM_APPROVED of the spam: the fewest held within both.
    Decided comments are mostly the held ones and the mistakes, so the ham they count is
    less than the ham a site receives: the bound is kept on a smaller denominator, which
    errs on the side of holding.
    """
    ham = sorted(p for p, spam in decided if not spam)
    spam = sorted(p for p, spam in decided if spam)
    if len(ham) < MIN_EACH or len(spam) < MIN_EACH:
        return None
    reject_above = _within(ham[-1 - int(HAM_REJECTED * len(ham))], REJECT_RANGE)
    approve_below = _within(spam[int(SPAM_APPROVED * len(spam))], APPROVE_RANGE)
    return Thresholds(min(approve_below, reject_above), reject_above)


def _within(value: float, bounds: tuple[float, float]) -> float:
    return min(max(value, bounds[0]), bounds[1])


#: What a comment gets when it cannot be scored at all: a person looks at it.
UNSCORABLE = CommentStatus.PENDING_REVIEW


def judge(probability: float | None, hits: Sequence[Hit], thresholds: Thresholds) -> CommentStatus:
    """The status a comment gets without a moderator, from its score and the rules it tripped."""
    if any(hit.effect is Effect.SPAM for hit in hits):
        return CommentStatus.SPAM
    if any(hit.effect is Effect.REJECT for hit in hits):
        return CommentStatus.REJECTED
    if probability is None:
        return UNSCORABLE
    status = thresholds.status_for(probability)
    if status is CommentStatus.SPAM:
        return status
    if any(hit.effect is Effect.HOLD for hit in hits):
        return CommentStatus.PENDING_REVIEW
    if any(hit.effect is Effect.TRUST for hit in hits):
        return CommentStatus.APPROVED
    return status
