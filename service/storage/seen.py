"""What a site saw of a comment's author and IP before it: approvals, floods, copies, and
the campaign of near-copies it joins."""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from typing import Any

import redis

from service.moderation.campaigns import BANDS
from service.moderation.comments import Campaign, Decision
from service.moderation.rules import DUPLICATE_WINDOW_S, Seen, SiteRules
from service.storage import keys
from service.storage.comment_hash import CommentText
from service.storage.connection import Sent, translate_errors

#: A flood set keeps this many windows of history, so that comments scored out of order
#: still find the ones posted just before them.
_WINDOWS_KEPT = 10

# Records a batch and reads what each comment's site saw before it, in one call (a command
# per rule and comment costs the worker more than scoring). Times are strings made in
# Python: Lua's numbers would print microseconds since the epoch in exponent form.
# A comment joins the campaign its first band already names (this week's index, then last
# week's), else founds one numbered by the site's count of campaigns; its bands not yet in
# this week's index then name that campaign. A comment seen before (a redelivery) keeps the
# campaign it has and is not counted again.
# KEYS: eights per comment (author history, IP set, author set, copy key, comment hash,
# this and last week's band index, the site's campaigns);
# ARGV: the copy TTL and the band index TTL, then 8 + BANDS per comment (id, time, window
# start, trim bound, set TTL, flood on, duplicates on, has an IP, its BANDS band keys or "").
# Returns sevens (approved, from IP, from author, copy, campaign id or "", size, decision).
_OBSERVE = (
    """
local copy_ttl, bands_ttl, out, expiring = ARGV[1], ARGV[2], {}, {}
-- A key's TTL is set once per call: comments of one batch share their sets and index.
local function expire(key, ttl)
  if not expiring[key] then
    redis.call('EXPIRE', key, ttl)
    expiring[key] = true
  end
end
local function write_bands(index, bands, missing, campaign)
  if #missing == 0 then return end
  local named = {}
  for _, b in ipairs(missing) do named[#named+1] = bands[b]; named[#named+1] = campaign end
  redis.call('HSET', index, unpack(named))
  expire(index, bands_ttl)
end
local function campaign(comment, this_week, last_week, campaigns, bands)
  local known, site = unpack(redis.call('HMGET', comment, 'campaign', 'site'))
  if not site then return '', 0, '' end
  local found = known
  if not found then
    local missing, now = {}, redis.call('HMGET', this_week, unpack(bands))
    for b = 1, #bands do
      if now[b] then found = found or now[b] else missing[#missing+1] = b end
    end
    if not found then
      local before = redis.call('HMGET', last_week, unpack(bands))
      for b = 1, #bands do found = found or before[b] end
    end
    if not found then  -- it founds a campaign: one copy, no call yet
      found = tostring(redis.call('HINCRBY', campaigns, 'next', 1))
      write_bands(this_week, bands, missing, found)
      redis.call('HSET', comment, 'campaign', found)
      return found, 1, ''
    end
    write_bands(this_week, bands, missing, found)
    redis.call('HSET', comment, 'campaign', found)
    if redis.call('HINCRBY', campaigns, found .. ':n', 1) == 1 then
      redis.call('HINCRBY', campaigns, found .. ':n', 1)  -- its founder was the first
    end
  end
  local size, decision = unpack(redis.call('HMGET', campaigns, found .. ':n', found .. ':d'))
  return found, tonumber(size or 1), decision or ''
end
for i = 0, #KEYS / 8 - 1 do
  local history, ip_set, author_set, copy, comment, this_week, last_week, campaigns =
    unpack(KEYS, i*8+1, i*8+8)
  local id, at, low, trim, ttl, flood, dup, has_ip = unpack(ARGV, i*STRIDE+3, i*STRIDE+10)
  local bands = {unpack(ARGV, i*STRIDE+11, i*STRIDE+10+BANDS)}
  local function count(set)
    redis.call('ZADD', set, at, id)
    expire(set, ttl)
    -- Trimmed by one comment in sixteen (ids are random hex): a set stays within about
    -- sixteen entries of its windows, for one command where a size check costs one each.
    if string.sub(id, -1) == '0' then redis.call('ZREMRANGEBYSCORE', set, '-inf', trim) end
    return redis.call('ZCOUNT', set, low, at)
  end
  local from_ip, from_author, duplicate = 0, 0, 0
  if flood == '1' then
    if has_ip == '1' then from_ip = count(ip_set) end
    from_author = count(author_set)
  end
  if dup == '1' then
    -- The first copy is kept; a later one (not this comment seen again) is a duplicate.
    if not redis.call('SET', copy, id, 'NX', 'EX', copy_ttl) then
      if redis.call('GET', copy) ~= id then duplicate = 1 end
    end
  end
  local approved = tonumber(redis.call('HGET', history, 'APPROVE') or 0)
  local found, size, decision = '', 0, ''
  if bands[1] ~= '' then
    found, size, decision = campaign(comment, this_week, last_week, campaigns, bands)
  end
  for _, value in ipairs({approved, from_ip, from_author, duplicate, found, size, decision}) do
    out[#out+1] = value
  end
end
return out
""".replace("APPROVE", Decision.APPROVE.value)
    .replace("STRIDE", str(8 + BANDS))
    .replace("BANDS", str(BANDS))
)
#: A band index is written for one week and read in the next.
_WEEK_S = 7 * 86_400


class SeenStore:
    """Records each comment where the flood, duplicate and campaign rules look, and reads
    what they see.

    Recording is by comment id, so scoring a comment twice (a redelivery) counts it once and
    never makes it a copy of itself.
    """

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client
        self._script = client.register_script(_OBSERVE)

    def observe(
        self, comments: Sequence[tuple[CommentText, SiteRules, tuple[str, ...]]]
    ) -> list[Seen]:
        """Record these comments (each with its rules and `campaigns.band_keys`) and return
        what each one's site saw before it."""
        return self.send(comments).result()

    @translate_errors
    def send(self, comments: Sequence[tuple[CommentText, SiteRules, tuple[str, ...]]]) -> Seeing:
        """`observe`, its answer read later: Redis records the comments meanwhile."""
        if not comments:
            return Seeing(None)
        script_keys: list[str] = []
        args = [str(DUPLICATE_WINDOW_S), str(2 * _WEEK_S + 86_400)]
        for comment, rules, bands in comments:
            script_keys += _keys(comment, rules)
            args += _args(comment, rules)
            args += bands or [""] * BANDS
        return Seeing(Sent(self._redis, self._script, script_keys, args))


class Seeing:
    """What the sites saw of a batch, on its way from Redis."""

    def __init__(self, sent: Sent | None) -> None:
        self._sent = sent

    @translate_errors
    def result(self) -> list[Seen]:
        """What each comment's site saw before it, in the order sent."""
        if self._sent is None:
            return []
        replies = self._sent.result()
        return [_seen(replies[n : n + 7]) for n in range(0, len(replies), 7)]


def _seen(reply: list[Any]) -> Seen:
    approved, from_ip, from_author, duplicate, found, size, decision = reply
    campaign = None
    if found:
        decided = Decision(decision.decode()) if decision else None
        campaign = Campaign(found.decode(), int(size), decided)
    return Seen(int(approved), int(from_ip), int(from_author), bool(duplicate), campaign)


def _keys(comment: CommentText, rules: SiteRules) -> list[str]:
    """The comment's eight keys; one the rules leave unused is the history key again."""
    site, author, ip = comment.site, comment.author_key, comment.content.ip
    week = int(comment.created_at // _WEEK_S)
    history = keys.author_history(site, author)
    author_set = keys.recent_from_author(site, author) if rules.flood_max else history
    ip_set = keys.recent_from_ip(site, ip) if rules.flood_max and ip else history
    copy = copy_key(site, author, comment.content.body) if rules.reject_duplicates else history
    return [
        history,
        ip_set,
        author_set,
        copy,
        keys.comment(keys.partition(site), comment.id),
        keys.campaign_bands(site, week),
        keys.campaign_bands(site, week - 1),
        keys.campaigns(site),
    ]


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
