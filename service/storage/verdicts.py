"""The scoring workers' side of comment storage: read what the model needs, write verdicts."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass

import redis

from service.moderation.comments import Verdict, iso_time
from service.moderation.stats import day_of
from service.storage import keys
from service.storage.comment_hash import TEXT, CommentText, read_text
from service.storage.connection import run_script
from service.storage.keys import Part

# Writes every effect of each verdict of a batch once per comment id: a redelivered comment
# finds `scored_at` set and changes nothing, and a moderator's decision is never overwritten.
# KEYS: the dead-letter stream and the webhooks' schedule, then sevens per comment (its
# hash, its site's queue and counters, its IP key, its site's webhook and webhook events,
# its site's counts of the day); ARGV: the batch's time (Unix seconds and ISO 8601), spam
# TTL and how long daily counts are kept, then sixes per comment.
# One HMGET and one HSET per comment, counters summed per batch: every write is fsynced and
# copied to the AOF, so fewer commands is less for Redis to do. A site with a webhook gets
# a `comment.scored` event in the same write as the verdict (webhooks.py's shape).
_APPLY_VERDICTS = """
local now, iso, spam_ttl, day_ttl = ARGV[1], ARGV[2], tonumber(ARGV[3]), ARGV[4]
local dead, due = KEYS[1], KEYS[2]
local results, counts, days, written, hooked = {}, {}, {}, {}, {}
for i = 0, (#KEYS - 2) / 7 - 1 do
  local comment, queue, counters, ip, hook, events, day = unpack(KEYS, i*7+3, i*7+9)
  local status, score, reasons, version, id, deliveries = unpack(ARGV, i*6+5, i*6+10)
  local before, created, scored, site, thread = unpack(
    redis.call('HMGET', comment, 'status', 'created_us', 'scored_at', 'site', 'thread'))
  if not before then
    results[i+1] = -1
  elseif scored then
    results[i+1] = 0
  else
    local after = before
    if before == 'queued' then after = status end
    redis.call('HSET', comment, 'score', score, 'reasons', reasons,
               'model_version', version, 'scored_at', now, 'status', after)
    if before == 'queued' and status == 'pending_review' then
      redis.call('ZADD', queue, created, id)
    end
    counts[counters] = counts[counters] or {}
    counts[counters][status] = (counts[counters][status] or 0) + 1
    days[counters] = day
    if after == 'spam' then
      redis.call('EXPIRE', comment, spam_ttl)
      if redis.call('TTL', ip) > spam_ttl then redis.call('EXPIRE', ip, spam_ttl) end
    end
    if deliveries ~= '0' then
      redis.call('XADD', dead, '*', 'id', id, 'site', site, 'deliveries', deliveries, 'at', now)
    end
    if hooked[hook] == nil then hooked[hook] = redis.call('EXISTS', hook) == 1 end
    if hooked[hook] then
      local body = '{"type":"comment.scored","timestamp":"' .. iso .. '","data":{"id":"' .. id
        .. '","thread":' .. cjson.encode(thread or '') .. ',"status":"' .. after
        .. '","score":' .. (score ~= '' and score or 'null') .. ',"reasons":' .. reasons
        .. ',"decided_by":"model","time":"' .. iso .. '"}}'
      redis.call('RPUSH', events, 'msg_' .. id .. '_scored ' .. body)
      redis.call('ZADD', due, 'NX', now, site)
    end
    results[i+1] = 1
    written[#written+1] = id
  end
end
-- Requests waiting for these verdicts (Prefer: wait) are woken by one message per batch.
if #written > 0 then redis.call('PUBLISH', 'CHANNEL', table.concat(written, ' ')) end
-- The site's counts of the day: each status, and all of them as `received`.
for counters, by_status in pairs(counts) do
  local day, received = days[counters], 0
  for status, n in pairs(by_status) do
    redis.call('HINCRBY', counters, 'scored_' .. status, n)
    redis.call('HINCRBY', day, status, n)
    received = received + n
  end
  redis.call('HINCRBY', day, 'received', received)
  redis.call('EXPIRE', day, day_ttl)
end
return results
""".replace("CHANNEL", keys.verdicts_channel())


@dataclass(frozen=True)
class Outcome:
    """A verdict for a comment; `dead_letter` counts the failed deliveries that forced it."""

    comment: CommentText
    verdict: Verdict
    dead_letter: int = 0


# Reads the TEXT fields (ARGV) and the IP of each comment (KEYS: hash, IP key per comment).
# One call for a batch: a pipeline of two commands per comment costs the worker more to
# pack and parse than Redis spends on them.
_READ_TEXTS = """
local out = {}
for i = 1, #KEYS, 2 do
  out[#out+1] = redis.call('HMGET', KEYS[i], unpack(ARGV))
  out[#out+1] = redis.call('GET', KEYS[i+1])
end
return out
"""


class TextReader:
    """Reads what the model needs of a batch of comments with one script call."""

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client
        self._script = client.register_script(_READ_TEXTS)

    def read(
        self, part: Part, comment_ids: Sequence[str], scored_too: bool
    ) -> list[CommentText | None]:
        """What the model reads of these comments of a partition; None where one is gone
        or, unless `scored_too`, already scored."""
        if not comment_ids:
            return []
        script_keys = [
            key for n in comment_ids for key in (keys.comment(part, n), keys.comment_ip(part, n))
        ]
        replies = run_script(self._redis, self._script, script_keys, TEXT)
        return [
            read_text(comment_id, raw, ip, scored_too)
            for comment_id, raw, ip in zip(comment_ids, replies[::2], replies[1::2], strict=True)
        ]


class VerdictWriter:
    """Writes a batch of verdicts with one script call."""

    def __init__(self, client: redis.Redis, spam_ttl_s: int) -> None:
        self._redis = client
        self._script = client.register_script(_APPLY_VERDICTS)
        self._spam_ttl_s = spam_ttl_s

    def apply(self, outcomes: Sequence[Outcome]) -> list[int]:
        """Write each verdict unless one is already stored; 1 written, 0 kept, -1 no comment.
        One script call per partition (a worker's batch comes from one)."""
        by_part: dict[Part, list[int]] = {}
        for n, outcome in enumerate(outcomes):
            by_part.setdefault(keys.partition(outcome.comment.site), []).append(n)
        results = [0] * len(outcomes)
        for part, indexes in by_part.items():
            written = self._apply(part, [outcomes[n] for n in indexes])
            for n, result in zip(indexes, written, strict=True):
                results[n] = result
        return results

    def _apply(self, part: Part, outcomes: Sequence[Outcome]) -> list[int]:
        script_keys = [keys.dead_letter_stream(part), keys.webhooks_due(part)]
        now = time.time()
        args = [repr(now), iso_time(now), str(self._spam_ttl_s), str(keys.DAY_KEPT_S)]
        today = day_of(now)
        for outcome in outcomes:
            comment, verdict = outcome.comment, outcome.verdict
            script_keys += [
                keys.comment(part, comment.id),
                keys.review_queue(comment.site),
                keys.site_counters(comment.site),
                keys.comment_ip(part, comment.id),
                keys.webhook(comment.site),
                keys.webhook_events(comment.site),
                keys.site_day(comment.site, today),
            ]
            args += [
                verdict.status.value,
                "" if verdict.score is None else repr(verdict.score),
                json.dumps(list(verdict.reasons)),
                verdict.model_version,
                comment.id,
                str(outcome.dead_letter),
            ]
        results = run_script(self._redis, self._script, script_keys, args)
        return [int(result) for result in results]
