"""What a site saw of a comment's author and IP before it: approvals, floods, copies."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence

import redis

from service.moderation.comments import Decision
from service.moderation.rules import DUPLICATE_WINDOW_S, Seen, SiteRules
from service.storage import keys
from service.storage.comment_hash import CommentText
from service.storage.connection import run_script, translate_errors

#: A flood set keeps this many windows of history, so that comments scored out of order
#: still find the ones posted just before them.
_WINDOWS_KEPT = 10

# Records a batch and reads what each comment's site saw before it, in one call (a command
# per rule and comment costs the worker more than scoring). Times are strings made in
# Python: Lua's numbers would print microseconds since the epoch in exponent form.
# KEYS: fours per comment (author history, IP set, author set, copy key);
# ARGV: the copy TTL, then eights per comment (id, time, window start, trim bound, set TTL,
# flood on, duplicates on, has an IP). Returns fours (approved, from IP, from author, copy).
_OBSERVE = """
local copy_ttl, out = ARGV[1], {}
for i = 0, #KEYS / 4 - 1 do
  local history, ip_set, author_set, copy = unpack(KEYS, i*4+1, i*4+4)
  local id, at, low, trim, ttl, flood, dup, has_ip = unpack(ARGV, i*8+2, i*8+9)
  local function count(set)
    redis.call('ZADD', set, at, id)
    redis.call('EXPIRE', set, ttl)
    if redis.call('ZCARD', set) > TRIM_ABOVE then  -- only a busy IP's set needs trimming
      redis.call('ZREMRANGEBYSCORE', set, '-inf', trim)
    end
    return redis.call('ZCOUNT', set, low, at)
  end
  local from_ip, from_author, duplicate = 0, 0, 0
  if flood == '1' then
    if has_ip == '1' then from_ip = count(ip_set) end
    from_author = count(author_set)
  end
  if dup == '1' then
    redis.call('SET', copy, id, 'NX', 'EX', copy_ttl)
    if redis.call('GET', copy) ~= id then duplicate = 1 end
  end
  local approved = tonumber(redis.call('HGET', history, 'APPROVE') or 0)
  out[#out+1], out[#out+2], out[#out+3], out[#out+4] = approved, from_ip, from_author, duplicate
end
return out
""".replace("APPROVE", Decision.APPROVE.value).replace("TRIM_ABOVE", "64")


class SeenStore:
    """Records each comment where the flood and duplicate rules look, and reads what they see.

    Recording is by comment id, so scoring a comment twice (a redelivery) counts it once and
    never makes it a copy of itself.
    """

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client
        self._script = client.register_script(_OBSERVE)

    @translate_errors
    def observe(self, comments: Sequence[tuple[CommentText, SiteRules]]) -> list[Seen]:
        """Record these comments and return what each one's site saw before it."""
        if not comments:
            return []
        script_keys: list[str] = []
        args = [str(DUPLICATE_WINDOW_S)]
        for comment, rules in comments:
            script_keys += _keys(comment, rules)
            args += _args(comment, rules)
        replies = run_script(self._redis, self._script, script_keys, args)
        return [
            Seen(int(replies[n]), int(replies[n + 1]), int(replies[n + 2]), bool(replies[n + 3]))
            for n in range(0, len(replies), 4)
        ]


def _keys(comment: CommentText, rules: SiteRules) -> list[str]:
    """The comment's four keys; one the rules leave unused is the history key again."""
    site, author, ip = comment.site, comment.author_key, comment.content.ip
    history = keys.author_history(site, author)
    author_set = keys.recent_from_author(site, author) if rules.flood_max else history
    ip_set = keys.recent_from_ip(site, ip) if rules.flood_max and ip else history
    copy = copy_key(site, author, comment.content.body) if rules.reject_duplicates else history
    return [history, ip_set, author_set, copy]


def _args(comment: CommentText, rules: SiteRules) -> list[str]:
    at_us, window_us = round(comment.created_at * 1e6), round(rules.flood_seconds * 1e6)
    trim = f"({at_us - _WINDOWS_KEPT * window_us}"
    ttl = str(math.ceil(_WINDOWS_KEPT * rules.flood_seconds) + 60)
    flags = [bool(rules.flood_max), rules.reject_duplicates, bool(comment.content.ip)]
    return [
        comment.id,
        str(at_us),
        str(at_us - window_us),
        trim,
        ttl,
        *(str(int(f)) for f in flags),
    ]


def copy_key(site: str, author_key: str, body: str) -> str:
    """Where the first comment with this body by this author at a site is kept (case and
    spacing aside: a near-copy is a campaign's business, not a duplicate's)."""
    same = " ".join(body.split()).casefold()
    return keys.first_copy(site, author_key, hashlib.sha256(same.encode()).hexdigest()[:32])
