"""The seams between the domain and storage: what the workflow needs, as Protocols."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from service.moderation.access import KeyRecord
from service.moderation.comments import Comment, NewComment

Cursor = tuple[int, str]


class CommentRepository(Protocol):
    """Where comments live."""

    def add(self, site: str, content: NewComment, author_key: str = "") -> Comment: ...

    def get(self, comment_id: str) -> Comment | None: ...

    def queue_page(
        self, site: str, after: Cursor | None, limit: int
    ) -> tuple[list[Comment], Cursor | None]: ...

    def decide(
        self, site: str, comment_id: str, change: Callable[[Comment], Comment]
    ) -> Comment | None: ...


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


class KeyRepository(Protocol):
    """Where key records live."""

    def find(self, key_id: str) -> KeyRecord | None: ...


class Clock(Protocol):
    """Seconds since the epoch."""

    def __call__(self) -> float: ...
