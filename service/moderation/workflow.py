"""The moderation workflow: who may submit, read, list and decide, and what a decision does."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from service.moderation import access
from service.moderation.access import KeyKind, Principal
from service.moderation.comments import SITE_DECIDER, Comment, Decision, NewComment
from service.moderation.errors import (
    AuthenticationError,
    CommentNotFoundError,
    DecisionConflictError,
    ModqError,
    PermissionDeniedError,
)
from service.moderation.policy import Calibration
from service.moderation.ports import (
    CalibrationRepository,
    Clock,
    CommentRepository,
    Cursor,
    KeyRepository,
    LearningRepository,
    PrivacyRepository,
    RulesRepository,
    StatsRepository,
)
from service.moderation.privacy import author_key
from service.moderation.rules import SiteRules
from service.moderation.stats import DayStats


@dataclass(frozen=True)
class DecisionOutcome:
    """What happened to one item of a bulk decision."""

    comment_id: str
    comment: Comment | None = None
    error: ModqError | None = None


@dataclass(frozen=True)
class Learned:
    """How far a site's moderators' decisions have taught its model."""

    steps: int  # decisions learned, and changed decisions taken back
    features: int  # words, word pairs and character grams given a weight
    calibration: Calibration = Calibration()  # the site's own thresholds, decisions per script


class Moderation:
    """The use cases of modq's HTTP API, each scoped to the caller's site."""

    def __init__(
        self,
        comments: CommentRepository,
        keys: KeyRepository,
        privacy: PrivacyRepository,
        learning: LearningRepository,
        rules: RulesRepository,
        calibration: CalibrationRepository,
        stats: StatsRepository,
        pepper: bytes,
        clock: Clock = time.time,
    ) -> None:
        self._comments = comments
        self._keys = keys
        self._privacy = privacy
        self._learning = learning
        self._rules = rules
        self._calibration = calibration
        self._stats = stats
        self._pepper = pepper
        self._clock = clock

    def authenticate(self, token: str | None) -> Principal:
        """Return the principal of a bearer token, or raise AuthenticationError."""
        return self._principal(access.parse_token(token or ""))

    def authenticate_site_key(self, key: str) -> Principal:
        """Return the site of a key as Akismet clients send it (a modq site key, in either
        form), or raise AuthenticationError; a moderator token is no site key."""
        principal = self._principal(access.parse_any_site_key(key))
        _require(principal, KeyKind.SITE)
        return principal

    def _principal(self, parsed: tuple[KeyKind, str, str] | None) -> Principal:
        if parsed is None:
            raise AuthenticationError("missing or malformed bearer token")
        kind, key_id, secret = parsed
        principal = access.verify(self._keys.find(key_id), kind, secret)
        if principal is None:
            raise AuthenticationError("unknown or revoked key")
        return principal

    def submit(self, caller: Principal, content: NewComment) -> Comment:
        """Store a site's new comment for scoring."""
        _require(caller, KeyKind.SITE)
        key = self._author_key(caller.site, content.author.email)
        return self._comments.add(caller.site, content, key)

    def _author_key(self, site: str, email: str) -> str:
        # No e-mail (an Akismet client may send none): no author, rather than one shared by
        # every reader who left none.
        return author_key(self._pepper, site, email) if email.strip() else ""

    def site_comment(self, caller: Principal, comment_id: str) -> Comment:
        """Return a comment for the site that submitted it."""
        _require(caller, KeyKind.SITE)
        return self._scoped(caller, comment_id)

    def review_comment(self, caller: Principal, comment_id: str) -> Comment:
        """Return a comment for one of its site's moderators."""
        _require(caller, KeyKind.MODERATOR)
        return self._for_moderators(caller.site, [self._scoped(caller, comment_id)])[0]

    def queue(
        self, caller: Principal, after: Cursor | None, limit: int
    ) -> tuple[list[Comment], Cursor | None]:
        """Return a page of the caller's review queue, oldest first."""
        _require(caller, KeyKind.MODERATOR)
        comments, cursor = self._comments.queue_page(caller.site, after, limit)
        return self._for_moderators(caller.site, comments), cursor

    def decide(self, caller: Principal, comment_id: str, decision: Decision) -> Comment:
        """Record a moderator's decision; the comment leaves the review queue."""
        _require(caller, KeyKind.MODERATOR)
        return self._decide(caller.site, comment_id, decision, caller.name)

    def report(
        self, caller: Principal, content: NewComment, decision: Decision, comment_id: str = ""
    ) -> Comment:
        """A site's own call on one of its comments (Akismet's submit-spam and submit-ham),
        decided by SITE_DECIDER and learned from like a moderator's. The comment is found by
        its id if given, else as the author's latest with this body; one modq never stored
        is stored first, so that it teaches all the same. The same call twice changes
        nothing."""
        found = self.reported(caller, content, comment_id) or self.submit(caller, content)
        if found.decision == decision:
            return found
        return self._decide(caller.site, found.id, decision, SITE_DECIDER)

    def reported(self, caller: Principal, content: NewComment, comment_id: str) -> Comment | None:
        """The site's stored comment a client reports on or checks again: by its id if
        given, else the author's latest with this body; None if there is none."""
        _require(caller, KeyKind.SITE)
        if comment_id:
            try:
                return self._scoped(caller, comment_id)
            except CommentNotFoundError:
                pass
        key = self._author_key(caller.site, content.author.email)
        if not key:
            return None
        ids = self._privacy.author_comment_ids(caller.site, key)
        body = content.body.strip()
        found = self._comments.get_many(caller.site, ids)
        same = [c for c in found if c and c.site == caller.site and c.content.body.strip() == body]
        return max(same, key=lambda c: c.created_at, default=None)

    def _decide(self, site: str, comment_id: str, decision: Decision, by: str) -> Comment:
        now = self._clock()

        def change(comment: Comment) -> Comment:
            return apply_decision(comment, decision, by, now)

        decided = self._comments.decide(site, comment_id, change)
        if decided is None:
            raise CommentNotFoundError(comment_id)
        return decided

    def stats(self, caller: Principal, days: Sequence[date]) -> tuple[list[DayStats], int]:
        """The caller's site's counts for each of `days`, and the decisions its model has
        learned: for its moderators."""
        _require(caller, KeyKind.MODERATOR)
        steps, _ = self._learning.summary_of(caller.site)
        return self._stats.days(caller.site, days), steps

    def usage(self, caller: Principal, days: Sequence[date]) -> list[DayStats]:
        """The caller's site's counts for each of `days`: for the site's own key (Akismet's
        key-sites and usage-limit report them)."""
        _require(caller, KeyKind.SITE)
        return self._stats.days(caller.site, days)

    def decide_many(
        self, caller: Principal, requests: Sequence[tuple[str, Decision]]
    ) -> list[DecisionOutcome]:
        """Decide many comments; each succeeds or fails on its own."""
        _require(caller, KeyKind.MODERATOR)
        outcomes = []
        for comment_id, decision in requests:
            try:
                outcomes.append(
                    DecisionOutcome(comment_id, self.decide(caller, comment_id, decision))
                )
            except (CommentNotFoundError, DecisionConflictError) as exc:
                outcomes.append(DecisionOutcome(comment_id, error=exc))
        return outcomes

    def decide_campaign(
        self, caller: Principal, campaign_id: str, decision: Decision
    ) -> list[DecisionOutcome]:
        """Decide every held copy of a campaign at once, and make the call the campaign's:
        after spam, later copies are spam on arrival; after approve, they are judged again."""
        _require(caller, KeyKind.MODERATOR)
        held = self._comments.held_in_campaign(caller.site, campaign_id)
        if not held and self._comments.campaigns(caller.site, [campaign_id])[0] is None:
            raise CommentNotFoundError(campaign_id)
        if decision is not Decision.REJECT:
            self._comments.mark_campaign(caller.site, campaign_id, decision)
        return self.decide_many(caller, [(comment_id, decision) for comment_id in held])

    def learned(self, caller: Principal) -> Learned:
        """How far the caller's site's decisions have taught its model."""
        _require(caller, KeyKind.MODERATOR)
        steps, features = self._learning.summary_of(caller.site)
        return Learned(steps, features, self._calibration.calibration(caller.site))

    def rules(self, caller: Principal) -> SiteRules:
        """The caller's site's rules."""
        _require(caller, KeyKind.MODERATOR)
        return self._rules.rules(caller.site)

    def set_rules(self, caller: Principal, rules: SiteRules) -> SiteRules:
        """Replace the caller's site's rules; the workers apply them within seconds."""
        _require(caller, KeyKind.MODERATOR)
        self._rules.set_rules(caller.site, rules)
        return rules

    def erase_comment(self, caller: Principal, comment_id: str) -> int:
        """Erase one comment of the caller's site, with everything stored about it."""
        comment = self._scoped(caller, comment_id)
        self._privacy.erase(caller.site, comment.id, comment.author_key)
        self._privacy.compact()
        return 1

    def erase_author(self, caller: Principal, email: str) -> int:
        """Erase every comment an e-mail address left at the caller's site; return how many."""
        key = self._author_key(caller.site, email)
        comment_ids = self._privacy.author_comment_ids(caller.site, key)
        for comment_id in comment_ids:
            self._privacy.erase(caller.site, comment_id, key)
        self._privacy.forget_author(caller.site, key)
        self._privacy.compact()
        return len(comment_ids)

    def _for_moderators(self, site: str, comments: list[Comment]) -> list[Comment]:
        """The comments with what only moderators see: the author's history, the campaign."""
        histories = self._privacy.histories(site, [c.author_key for c in comments])
        named = [c.campaign.id for c in comments if c.campaign is not None]
        campaigns = dict(zip(named, self._comments.campaigns(site, named), strict=True))
        return [
            dataclasses.replace(
                c,
                author_history=h,
                campaign=campaigns.get(c.campaign.id) or c.campaign if c.campaign else None,
            )
            for c, h in zip(comments, histories, strict=True)
        ]

    def _scoped(self, caller: Principal, comment_id: str) -> Comment:
        # Another site's comment is "not found", so ids never reveal that they exist.
        found = self._comments.get(caller.site, comment_id)
        if found is None or found.site != caller.site:
            raise CommentNotFoundError(comment_id)
        return found


def apply_decision(comment: Comment, decision: Decision, moderator: str, now: float) -> Comment:
    """Return `comment` decided; the same decision twice is a conflict, a change is not."""
    if comment.decision == decision:
        raise DecisionConflictError(f"comment {comment.id} is already decided: {decision.value}")
    return dataclasses.replace(
        comment, status=decision.status, decision=decision, decided_by=moderator, decided_at=now
    )


def _require(caller: Principal, kind: KeyKind) -> None:
    if caller.kind != kind:
        raise PermissionDeniedError(f"this endpoint needs a {kind.value} key")
