"""Comments in Redis: one hash per comment, the intake stream, the review queues."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import redis

from service.moderation.comments import (
    Comment,
    CommentStatus,
    Decision,
    NewComment,
)
from service.moderation.errors import StorageUnavailableError
from service.moderation.stats import day_of, decision_counters
from service.moderation.webhooks import decided_event
from service.settings import Settings
from service.storage import keys
from service.storage.campaigns import CampaignReads
from service.storage.comment_hash import (
    INTAKE,
    CommentText,
    decision_fields,
    intake_values,
    read_comment,
)
from service.storage.connection import run_script_replicated, translate_errors
from service.storage.durability import Guard
from service.storage.keys import Part
from service.storage.verdicts import Outcome, TextReader, VerdictWriter
from service.storage.webhooks import queue_event

_DECIDE_RETRIES = 20
_DAY_S = 86_400
#: Entries read past a page of the review queue, for comments stored in the same microsecond.
_TIE_MARGIN = 100

# Stores new comments: each one's hash, its IP under its own expiring key, its author index
# entry and its intake stream entry, all or nothing, in one script call. The hash's field
# names live in the script and only values travel: half the arguments to encode and parse.
# KEYS: the intake stream, then threes per comment (hash, IP key, author set);
# ARGV: the IP TTL, then per comment its IP and one value per field of INTAKE, in order.
_ADD_COMMENTS = """
local fields = {FIELDS}
local ip_ttl, at = ARGV[1], 2
for i = 0, (#KEYS - 1) / 3 - 1 do
  local comment, ip_key, author = unpack(KEYS, i*3+2, i*3+4)
  local ip, id = ARGV[at], ARGV[at+1]
  local hash = {}
  for f = 1, #fields do
    local value = ARGV[at+f]
    if value ~= '' then  -- empty optional fields are not stored (read back as "")
      hash[#hash+1] = fields[f]
      hash[#hash+1] = value
    end
  end
  redis.call('HSET', comment, unpack(hash))
  if ip ~= '' then redis.call('SET', ip_key, ip, 'EX', ip_ttl) end
  if ARGV[at+AUTHOR_KEY] ~= '' then redis.call('SADD', author, id) end
  redis.call('XADD', KEYS[1], '*', 'id', id)
  at = at + 1 + #fields
end
return 1
""".replace("AUTHOR_KEY", str(INTAKE.index("author_key") + 1)).replace(
    "FIELDS", ", ".join(f"'{name}'" for name in INTAKE)
)


@dataclass(frozen=True)
class Retention:
    """How long raw IPs and spam are kept, in days."""

    ip_days: int = 30
    spam_days: int = 30

    @classmethod
    def of(cls, settings: Settings) -> Retention:
        """The retention the settings ask for."""
        return cls(settings.ip_retention_days, settings.spam_retention_days)


class CommentStore(CampaignReads):
    """Reads and writes comments; every multi-key write is one transaction or script."""

    def __init__(
        self,
        client: redis.Redis,
        guard: Guard | None = None,
        retention: Retention = Retention(),
        replica_wait_ms: int = 0,
    ) -> None:
        self._redis = client
        self._replica_wait_ms = replica_wait_ms
        self._guard = guard
        self._retention = retention
        self._verdicts = VerdictWriter(client, retention.spam_days * _DAY_S)
        self._add = client.register_script(_ADD_COMMENTS)
        self._texts = TextReader(client)

    @translate_errors
    def add(self, site: str, content: NewComment, author_key: str = "") -> Comment:
        """Store a new comment and put it on the intake stream, atomically."""
        return self.add_many(site, [content], [author_key])[0]

    @translate_errors
    def add_many(
        self, site: str, contents: Sequence[NewComment], author_keys: Sequence[str] | None = None
    ) -> list[Comment]:
        """Store new comments, index them by author and queue them, in one transaction."""
        if self._guard is not None:
            self._guard.before_write()
        now_us = time.time_ns() // 1000
        authors = author_keys or [""] * len(contents)
        # One microsecond apart, so the review queue (scored by creation time) has no ties
        # and a cursor always knows which comments came before it.
        comments = [
            Comment(uuid.uuid4().hex, site, content, (now_us + n) / 1e6, author_key)
            for n, (content, author_key) in enumerate(zip(contents, authors, strict=True))
        ]
        part = keys.partition(site)
        script_keys = [keys.intake_stream(part)]
        args = [str(self._retention.ip_days * _DAY_S)]
        for comment in comments:
            script_keys += [
                keys.comment(part, comment.id),
                keys.comment_ip(part, comment.id),
                keys.author_comments(comment.site, comment.author_key),
            ]
            args.append(comment.content.ip or "")
            args += intake_values(comment)
        run_script_replicated(self._redis, self._add, script_keys, args, self._replica_wait_ms)
        return comments

    @translate_errors
    def get(self, site: str, comment_id: str) -> Comment | None:
        """Return the comment with this id in the site's partition, or None (it may be
        another site's of the same partition: the caller checks)."""
        return self.get_many(site, [comment_id])[0]

    @translate_errors
    def get_many(self, site: str, comment_ids: Sequence[str]) -> list[Comment | None]:
        """Return the comments with these ids in the site's partition, None where one is
        missing."""
        part = keys.partition(site)
        with self._redis.pipeline(transaction=False) as pipe:
            for comment_id in comment_ids:
                pipe.hgetall(keys.comment(part, comment_id))
                pipe.get(keys.comment_ip(part, comment_id))
            replies = pipe.execute()
        return [read_comment(raw, ip) for raw, ip in zip(replies[::2], replies[1::2], strict=True)]

    @translate_errors
    def unscored(self, part: Part, comment_ids: Sequence[str]) -> list[CommentText | None]:
        """What the model reads of these comments of a partition; None where one is missing
        or scored."""
        return self._texts.read(part, comment_ids, scored_too=False)

    @translate_errors
    def texts(self, part: Part, comment_ids: Sequence[str]) -> list[CommentText | None]:
        """What the model reads of these comments of a partition, scored or not; None where
        one is gone."""
        return self._texts.read(part, comment_ids, scored_too=True)

    @translate_errors
    def apply_verdicts(self, outcomes: Sequence[Outcome]) -> list[int]:
        """Write each verdict unless one is already stored; 1 written, 0 kept, -1 no comment."""
        return self._verdicts.apply(outcomes)

    @translate_errors
    def queue_page(
        self, site: str, after: tuple[int, str] | None, limit: int
    ) -> tuple[list[Comment], tuple[int, str] | None]:
        """Return up to `limit` held comments of `site`, oldest first, after the cursor."""
        low = after[0] if after else "-inf"
        # Ties (two processes in one microsecond) are ordered by member: over-fetch for them.
        raw = self._redis.zrangebyscore(
            keys.review_queue(site), low, "+inf", start=0, num=limit + _TIE_MARGIN, withscores=True
        )
        entries = [(int(score), member.decode()) for member, score in raw]
        if after:
            entries = [entry for entry in entries if entry > after]
        more = len(entries) > limit
        entries = entries[:limit]
        comments = [c for c in self.get_many(site, [member for _, member in entries]) if c]
        cursor = entries[-1] if more else None
        return comments, cursor

    @translate_errors
    def queue_length(self, site: str) -> int:
        """Return how many comments of `site` wait for a moderator."""
        return int(self._redis.zcard(keys.review_queue(site)))

    @translate_errors
    def decide(
        self, site: str, comment_id: str, change: Callable[[Comment], Comment]
    ) -> Comment | None:
        """Apply a moderator's `change` to a comment of `site` and log it; None if not found.

        Optimistic: the comment is watched, so a concurrent write makes the transaction
        retry with fresh data instead of losing either update.
        """
        part = keys.partition(site)
        key = keys.comment(part, comment_id)
        with self._redis.pipeline(transaction=True) as pipe:
            for _ in range(_DECIDE_RETRIES):
                try:
                    pipe.watch(key)
                    ip = pipe.get(keys.comment_ip(part, comment_id))
                    current = read_comment(pipe.hgetall(key), ip)
                    if current is None or current.site != site:
                        return None
                    decided = change(current)
                    hooked = pipe.exists(keys.webhook(site))
                    pipe.multi()
                    _write_decision(pipe, current, decided)
                    if hooked:
                        now = time.time()
                        queue_event(pipe, site, decided_event(decided, now), now)
                    self._expire_if_spam(pipe, decided)
                    pipe.execute()
                    return decided
                except redis.WatchError:
                    continue
        raise StorageUnavailableError("comment kept changing; decision not written")

    def _expire_if_spam(self, pipe: redis.client.Pipeline, comment: Comment) -> None:
        # Spam is kept only for its retention period; a comment rescued from spam is kept.
        # The IP keeps its own, shorter clock either way.
        part = keys.partition(comment.site)
        if comment.status is CommentStatus.SPAM:
            pipe.expire(keys.comment(part, comment.id), self._retention.spam_days * _DAY_S)
            if self._retention.spam_days < self._retention.ip_days:
                ip = keys.comment_ip(part, comment.id)
                pipe.expire(ip, self._retention.spam_days * _DAY_S)
        else:
            pipe.persist(keys.comment(part, comment.id))


def _write_decision(pipe: redis.client.Pipeline, before: Comment, after: Comment) -> None:
    assert after.decision is not None and after.decided_at is not None
    part = keys.partition(after.site)
    pipe.hset(keys.comment(part, after.id), mapping=decision_fields(after))
    pipe.zrem(keys.review_queue(after.site), after.id)
    if after.author_key:
        history = keys.author_history(after.site, after.author_key)
        pipe.hincrby(history, after.decision.value, 1)
        if before.decision is not None:
            pipe.hincrby(history, before.decision.value, -1)
    if after.campaign is not None and after.decision is not Decision.REJECT:
        # The latest call on any copy is the campaign's: spam makes later copies spam.
        pipe.hset(keys.campaigns(after.site), f"{after.campaign.id}:d", after.decision.value)
    pipe.hincrby(keys.site_counters(after.site), f"decided_{after.decision.value}", 1)
    day = keys.site_day(after.site, day_of(after.decided_at))
    for counter in decision_counters(before, after):
        pipe.hincrby(day, counter, 1)
    pipe.expire(day, keys.DAY_KEPT_S)
    pipe.xadd(
        keys.decisions_stream(part),
        {
            "id": after.id,
            "site": after.site,
            "moderator": after.decided_by,
            "decision": after.decision.value,
            "previous_status": before.status.value,
            "score": "" if before.score is None else repr(before.score),
            "model_version": before.model_version,
            "at": repr(after.decided_at),
        },
    )
