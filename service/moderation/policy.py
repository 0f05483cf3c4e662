"""The verdict policy: a spam probability becomes approved, pending_review or spam."""

from __future__ import annotations

from dataclasses import dataclass

from service.moderation.comments import CommentStatus


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


#: What a comment gets when it cannot be scored at all: a person looks at it.
UNSCORABLE = CommentStatus.PENDING_REVIEW
