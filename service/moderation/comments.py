"""Comments and the states they move through."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import UTC, datetime


class CommentStatus(enum.StrEnum):
    """Where a comment stands; `QUEUED` until a worker scores it."""

    QUEUED = "queued"
    APPROVED = "approved"
    PENDING_REVIEW = "pending_review"
    REJECTED = "rejected"
    SPAM = "spam"


class Decision(enum.StrEnum):
    """What a moderator can decide about a comment."""

    APPROVE = "approve"
    REJECT = "reject"
    SPAM = "spam"

    @property
    def status(self) -> CommentStatus:
        """The status a comment takes when a moderator decides this."""
        return _DECISION_STATUS[self]


_DECISION_STATUS = {
    Decision.APPROVE: CommentStatus.APPROVED,
    Decision.REJECT: CommentStatus.REJECTED,
    Decision.SPAM: CommentStatus.SPAM,
}


@dataclass(frozen=True)
class Author:
    """Who wrote a comment, as the site's form collected it."""

    name: str
    email: str
    url: str = ""


@dataclass(frozen=True)
class FormEvidence:
    """What the site's comment form saw: its hidden honeypot field, when its page rendered."""

    honeypot: str = ""
    rendered_at: float | None = None  # seconds since the epoch


@dataclass(frozen=True)
class NewComment:
    """A comment as a site submits it, before modq gives it an id."""

    author: Author
    body: str
    thread: str = ""
    ip: str = ""
    user_agent: str = ""
    referrer: str = ""
    parent_id: str = ""
    lang: str = ""
    form: FormEvidence | None = None


@dataclass(frozen=True)
class Verdict:
    """The scorer's view of a comment: P(spam), why, and the status the policy gave it."""

    status: CommentStatus
    score: float | None
    reasons: tuple[str, ...]
    model_version: str


@dataclass(frozen=True)
class Campaign:
    """Near-copies at one site: numbered in the order the site's campaigns began, with how
    many were seen and the latest moderator's call on any of them (None before one)."""

    id: str
    size: int = 1
    decision: Decision | None = None

    @property
    def spam(self) -> bool:
        """Moderators called a copy of it spam, and none approved one since."""
        return self.decision is Decision.SPAM


@dataclass(frozen=True)
class Comment:
    """A stored comment with everything modq knows about it."""

    id: str
    site: str
    content: NewComment
    created_at: float
    author_key: str = ""
    status: CommentStatus = CommentStatus.QUEUED
    score: float | None = None
    reasons: tuple[str, ...] = field(default_factory=tuple)
    model_version: str = ""
    scored_at: float | None = None
    decision: Decision | None = None
    decided_by: str = ""
    decided_at: float | None = None
    #: The near-copies it belongs to, once scored (None: too short to be one's).
    campaign: Campaign | None = None
    #: Moderators' earlier decisions on this author's comments; filled for moderators only.
    author_history: dict[str, int] = field(default_factory=dict)

    @property
    def decider(self) -> str | None:
        """Who gave the current status, as sites are told: `model`, `moderator` (never a
        moderator's name), `site` (its own key decided, through Akismet's submit calls), or
        None before any."""
        if self.decision is not None:
            return SITE_DECIDER if self.decided_by == SITE_DECIDER else "moderator"
        return "model" if self.scored_at is not None else None


#: `decided_by` of a decision the site's own key made.
SITE_DECIDER = "site"


def iso_time(timestamp: float) -> str:
    """A Unix time as the API and webhook events write it (ISO 8601, UTC)."""
    return datetime.fromtimestamp(timestamp, UTC).isoformat()
