"""The verdict policy: a spam probability and the site's rules become a status, in one order.

1. A sure rule (a filled honeypot, a disallowed word) makes a comment spam, whatever the
   model says.
2. A duplicate (the same body from the same author within a day) is rejected.
3. Otherwise the model's probability decides, at the site's thresholds: approved, held or
   spam; but the model's spam is held while the site has not confirmed it (caution: too
   few spam decisions in the comment's script, or spam only because of what a few
   decisions taught).
4. A hold rule (too many links, a moderation word, posted too fast, a flood, a script the
   site does not allow) holds what the model would have published; it does not overrule spam.
5. A trusted author (enough comments approved at the site) is published where the model
   was unsure; hold rules still hold them, and the model's spam stays spam.
6. A comment the model could not score is held for a person.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

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
HAM_REJECTED, SPAM_APPROVED = 0.004, 0.03
#: How far they may go: never reject below, nor approve above, an even chance; never
#: reject only what the model is certain of, nor approve only what it is sure is ham.
REJECT_RANGE, APPROVE_RANGE = (0.5, 0.995), (0.005, 0.5)


@dataclass(frozen=True)
class Recent:
    """A site's latest decisions (P(spam) at the verdict, spam or not) and how many ham and
    spam it received while they were made."""

    decided: list[tuple[float, bool]]
    ham_received: int
    spam_received: int

    @classmethod
    def since(cls, entries: Sequence[tuple[float, bool, int, int]], now: tuple[int, int]) -> Recent:
        """From decisions newest first, each with the site's counts of comments published
        and rejected when it was made, and those counts `now`: received since the oldest
        are those decided plus those published or rejected meanwhile."""
        decided = [(p, spam) for p, spam, _, _ in entries]
        if not entries:
            return cls([], 0, 0)
        _, _, approved_then, rejected_then = entries[-1]
        ham = sum(not spam for _, spam in decided)
        ham_received = now[0] - approved_then + ham
        return cls(decided, ham_received, now[1] - rejected_then + len(decided) - ham)


def fitted(recent: Recent, default: Thresholds) -> Thresholds | None:
    """A site's own thresholds, from its moderators' recent decisions: each the P(spam) its
    comment had at its verdict and whether a person called it spam; and how many ham and
    spam the site received over the same time. None until there are MIN_EACH decisions of
    each kind.

    The widest pair that, over these comments, would have rejected at most HAM_REJECTED of
    the ham received and approved at most SPAM_APPROVED of the spam: the fewest held
    within both bounds. Only decided comments can be placed against a threshold, so the
    ones nobody corrected count only in the denominators. A threshold moves past the
    model's own (`default`) towards holding less only once the decisions could show its
    bound broken: 1 / HAM_REJECTED ham decisions to reject more, 1 / SPAM_APPROVED spam to
    approve more.
    """
    ham = sorted(p for p, spam in recent.decided if not spam)
    spam = sorted(p for p, spam in recent.decided if spam)
    ham_received, spam_received = recent.ham_received, recent.spam_received
    if len(ham) < MIN_EACH or len(spam) < MIN_EACH:
        return None
    ham_allowed = min(int(HAM_REJECTED * max(ham_received, len(ham))), len(ham) - 1)
    spam_allowed = min(int(SPAM_APPROVED * max(spam_received, len(spam))), len(spam) - 1)
    reject_above = _within(ham[-1 - ham_allowed], REJECT_RANGE)
    if len(ham) * HAM_REJECTED < 1:
        reject_above = max(reject_above, default.reject_above)
    approve_below = _within(spam[spam_allowed], APPROVE_RANGE)
    if len(spam) * SPAM_APPROVED < 1:
        approve_below = min(approve_below, default.approve_below)
    return Thresholds(min(approve_below, reject_above), reject_above)


def _within(value: float, bounds: tuple[float, float]) -> float:
    return min(max(value, bounds[0]), bounds[1])


#: Spam decisions a site needs in a script before the model alone may reject its comments.
CONFIRM_SPAM = 3
#: Decisions of each kind in a script before what the site taught alone may reject.
CONFIRM_LEARNED = 30
#: Until a script has this many decisions, the model rejects only above EARLY_REJECT_ABOVE.
EARLY_DECISIONS, EARLY_REJECT_ABOVE = 50, 0.998


@dataclass(frozen=True)
class Calibration:
    """What a site's decisions have established for its verdicts: its own thresholds (None:
    the model's), who set them, and its decisions per script (spam, ham)."""

    thresholds: Thresholds | None = None
    set_by: str = ""  # "decisions" or "operator"
    scripts: Mapping[str, tuple[int, int]] = field(default_factory=dict)

    def confirmed(self, script: str, trained: bool) -> Confirmed:
        """The site's decisions on comments in `script` (trained: the model knows it)."""
        spam, ham = self.scripts.get(script, (0, 0))
        return Confirmed(script, spam, ham, trained)


@dataclass(frozen=True)
class Confirmed:
    """A site's moderators' decisions on comments in one script (latin, arabic, ...)."""

    script: str
    spam: int = 0
    ham: int = 0
    trained: bool = False  # the shipped model was trained on comments in this script


def caution(
    probability: float, shipped: float, thresholds: Thresholds, confirmed: Confirmed
) -> Hit | None:
    """Why the model's spam should be held for now, if it should: a cautious start.

    The shipped model knows English comments and SMS; in another script it is most sure
    exactly where it knows least. And a site's first decisions can teach its model to
    reject a whole language. So the model alone rejects only in a script where moderators
    have called CONFIRM_SPAM comments spam, and what the site taught alone (the shipped
    model would not have rejected) only once CONFIRM_LEARNED of each kind were decided.
    """
    if probability <= thresholds.reject_above:
        return None
    script = confirmed.script or "this script"
    if confirmed.spam < CONFIRM_SPAM and not confirmed.trained:
        return Hit(Effect.CAUTION, f"no spam in {script} confirmed here yet")
    decided = confirmed.spam + confirmed.ham
    if decided < EARLY_DECISIONS and probability <= EARLY_REJECT_ABOVE:
        return Hit(Effect.CAUTION, f"only {decided} decisions in {script} here yet")
    taught = shipped <= thresholds.reject_above
    if taught and min(confirmed.spam, confirmed.ham) < CONFIRM_LEARNED:
        return Hit(Effect.CAUTION, f"spam only by what {decided} decisions taught")
    return None


#: How far, in log-odds, what a site taught may move a comment per decision of the other
#: kind in its script: towards spam per ham decision, towards ham per spam decision.
LEARNED_PER_DECISION = 0.4


def learned_bounds(confirmed: Confirmed) -> tuple[float, float]:
    """The least and most the site's learned model may add to a comment's log-odds.

    A site's first decisions are mostly spam (what was held, what slipped through); taught
    only by them, its model would push every comment in their language towards spam and
    hold or reject its ham. So it may push a script's comments towards spam only as far as
    its ham decisions in that script let it tell them apart, and towards ham as far as its
    spam decisions do; a few dozen decisions of each kind lift the bound out of the way.
    """
    return (-LEARNED_PER_DECISION * confirmed.spam, LEARNED_PER_DECISION * confirmed.ham)


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
        caution = any(hit.effect is Effect.CAUTION for hit in hits)
        return CommentStatus.PENDING_REVIEW if caution else status
    if any(hit.effect is Effect.HOLD for hit in hits):
        return CommentStatus.PENDING_REVIEW
    if any(hit.effect is Effect.TRUST for hit in hits):
        return CommentStatus.APPROVED
    return status
