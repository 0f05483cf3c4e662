"""What a site saw of a comment's author and IP before it: approvals, floods, copies."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import Any

import redis

from service.moderation.comments import Decision
from service.moderation.rules import DUPLICATE_WINDOW_S, Seen, SiteRules
from service.moderation.text import normalize
from service.storage import keys
from service.storage.comment_hash import CommentText
from service.storage.connection import translate_errors

#: A flood set keeps this many windows of history, so that comments scored out of order
#: still find the ones posted just before them.
_WINDOWS_KEPT = 10
#: Commands queued per flood set, and which reply is the count.
_PER_SET, _COUNT_AT = 4, 2


class SeenStore:
    """Records each comment where the flood and duplicate rules look, and reads what they see.

    Recording is by comment id, so scoring a comment twice (a redelivery) counts it once and
    never makes it a copy of itself.
    """

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    @translate_errors
    def observe(self, comments: Sequence[tuple[CommentText, SiteRules]]) -> list[Seen]:
        """Record these comments and return what each one's site saw before it."""
        with self._redis.pipeline(transaction=False) as pipe:
            for comment, rules in comments:
                _queue(pipe, comment, rules)
            replies = pipe.execute()
        seen, at = [], 0
        for comment, rules in comments:
            found, at = _read(replies, at, comment, rules)
            seen.append(found)
        return seen


def _queue(pipe: redis.client.Pipeline, comment: CommentText, rules: SiteRules) -> None:
    site, author = comment.site, comment.author_key
    pipe.hget(keys.author_history(site, author), Decision.APPROVE.value)
    if rules.flood_max:
        at_us, window_us = round(comment.created_at * 1e6), round(rules.flood_seconds * 1e6)
        for key in _recent_sets(comment):
            pipe.zadd(key, {comment.id: at_us})
            pipe.zremrangebyscore(key, "-inf", f"({at_us - _WINDOWS_KEPT * window_us}")
            pipe.zcount(key, at_us - window_us, at_us)
            pipe.expire(key, math.ceil(_WINDOWS_KEPT * rules.flood_seconds) + 60)
    if rules.reject_duplicates:
        copy = copy_key(site, author, comment.content.body)
        pipe.set(copy, comment.id, nx=True, ex=DUPLICATE_WINDOW_S)
        pipe.get(copy)


def _read(replies: list[Any], at: int, comment: CommentText, rules: SiteRules) -> tuple[Seen, int]:
    approved, at = int(replies[at] or 0), at + 1
    counts = {"ip": 0, "author": 0}
    if rules.flood_max:
        for kind in ("ip", "author") if comment.content.ip else ("author",):
            counts[kind], at = int(replies[at + _COUNT_AT]), at + _PER_SET
    duplicate = False
    if rules.reject_duplicates:
        duplicate, at = (replies[at + 1] or b"").decode() != comment.id, at + 2
    return Seen(approved, counts["ip"], counts["author"], duplicate), at


def _recent_sets(comment: CommentText) -> list[str]:
    author = keys.recent_from_author(comment.site, comment.author_key)
    ip = comment.content.ip
    return [keys.recent_from_ip(comment.site, ip), author] if ip else [author]


def copy_key(site: str, author_key: str, body: str) -> str:
    """Where the first comment with this body (folded) by this author at a site is kept."""
    return keys.first_copy(
        site, author_key, hashlib.sha256(normalize(body).encode()).hexdigest()[:32]
    )
