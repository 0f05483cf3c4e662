"""Each site's webhook and its events on their way out: one queue per site, delivered in
order, a schedule of which site to try next, and parked events an operator can send again.

The verdict script and a moderator's decision append events in the same write as what they
report (storage/verdicts.py, storage/comments.py); this module keeps the rest. A sender
claims a due site for CLAIM_S before posting its oldest event, so two senders never post
the same site's events at once, and one that dies holding a claim is replaced when it
lapses. An event leaves its queue only once delivered (or parked): at least once.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import redis

from service.moderation.webhooks import RETRY_FOR_S, Endpoint, Health, new_secret
from service.storage import keys
from service.storage.connection import run_script, translate_errors

#: How long a sender holds a site it is posting to: longer than a post can take (POST_S),
#: short enough that a killed sender delays little.
CLAIM_S = 15.0

# KEYS: the schedule; ARGV: now, how many, the claim's end. Claims each due site (score at
# or before now) by moving its score to the claim's end; returns the sites claimed.
_CLAIM = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, ARGV[2])
for _, site in ipairs(due) do redis.call('ZADD', KEYS[1], 'XX', ARGV[3], site) end
return due
"""

# KEYS: the site's events and the schedule; ARGV: the site. Off the schedule if nothing
# waits (an event queued meanwhile keeps it on).
_IDLE = """
if redis.call('LLEN', KEYS[1]) == 0 then redis.call('ZREM', KEYS[2], ARGV[1]) end
"""

# KEYS: the site's events, its webhook, the schedule, its parked events; ARGV: the event
# posted ("<id> <body>"), the site, now, the outcome ("ok", "retry" or "park"), the next
# attempt's time, the status seen and the error. The event leaves the queue only if it is
# still its head (a removed webhook takes its queue with it).
_DONE = """
local events, hook, due, parked = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local event, site, now, outcome, next_at, status, error = unpack(ARGV)
if redis.call('EXISTS', hook) == 0 then
  redis.call('ZREM', due, site)
  return 0
end
redis.call('HSET', hook, 'last_attempt_at', now, 'last_status', status, 'last_error', error)
if outcome == 'retry' then
  redis.call('HINCRBY', hook, 'attempts', 1)
  redis.call('HSETNX', hook, 'failing_since', now)
  redis.call('ZADD', due, next_at, site)
  return 1
end
if redis.call('LINDEX', events, 0) == event then
  redis.call('LPOP', events)
  if outcome == 'park' then
    redis.call('RPUSH', parked, event)
    redis.call('HINCRBY', hook, 'parked_total', 1)
  else
    redis.call('HINCRBY', hook, 'delivered', 1)
    redis.call('HSET', hook, 'last_delivered_at', now)
  end
end
redis.call('HDEL', hook, 'attempts', 'failing_since')
if redis.call('LLEN', events) > 0 then
  redis.call('ZADD', due, now, site)
else
  redis.call('ZREM', due, site)
end
return 1
"""


@dataclass(frozen=True)
class Pending:
    """A site's oldest undelivered event and where it goes."""

    site: str
    raw: str  # "<id> <body>", as queued
    endpoint: Endpoint
    attempts: int  # failed deliveries of it so far
    failing_since: float | None

    @property
    def event_id(self) -> str:
        return self.raw.split(" ", 1)[0]

    @property
    def body(self) -> str:
        return self.raw.split(" ", 1)[1]


def queue_event(pipe: redis.client.Pipeline, site: str, event: tuple[str, str], now: float) -> None:
    """Append an event (id, body) to the site's webhook queue in the caller's transaction,
    and put the site on the schedule (the verdict script does the same in Lua)."""
    event_id, body = event
    pipe.rpush(keys.webhook_events(site), f"{event_id} {body}")
    pipe.zadd(keys.webhooks_due(keys.partition(site)), {site: now}, nx=True)


class WebhookStore:
    """Sites' webhooks in Redis."""

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client
        self._claim = client.register_script(_CLAIM)
        self._done = client.register_script(_DONE)
        self._idle = client.register_script(_IDLE)
        self._turn = 0

    @translate_errors
    def set(self, site: str, url: str, now: float | None = None) -> Endpoint:
        """Set the site's webhook to `url` with a new secret (events waiting go there)."""
        endpoint = Endpoint(url, new_secret(), time.time() if now is None else now)
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(keys.webhook(site))
            fields = {
                "url": url,
                "secret": endpoint.secret,
                "created_at": repr(endpoint.created_at),
            }
            pipe.hset(keys.webhook(site), mapping=fields)
            pipe.execute()
        return endpoint

    @translate_errors
    def endpoint(self, site: str) -> Endpoint | None:
        """The site's webhook, or None."""
        url, secret, created = self._redis.hmget(keys.webhook(site), "url", "secret", "created_at")
        if url is None or secret is None:
            return None
        return Endpoint(url.decode(), secret.decode(), float(created or 0))

    @translate_errors
    def health(self, site: str) -> Health | None:
        """How the site's deliveries go; None without a webhook."""
        with self._redis.pipeline(transaction=False) as pipe:
            pipe.hgetall(keys.webhook(site))
            pipe.llen(keys.webhook_events(site))
            pipe.llen(keys.webhook_parked(site))
            raw, pending, parked = pipe.execute()
        if not raw:
            return None
        h = {k.decode(): v.decode() for k, v in raw.items()}

        def at(name: str) -> float | None:
            return float(h[name]) if h.get(name) else None

        return Health(
            h["url"],
            float(h.get("created_at", 0)),
            int(pending),
            int(parked),
            int(h.get("delivered", 0)),
            int(h.get("attempts", 0)),
            at("failing_since"),
            at("last_attempt_at"),
            h.get("last_status", ""),
            h.get("last_error", ""),
            at("last_delivered_at"),
        )

    @translate_errors
    def remove(self, site: str) -> bool:
        """Remove the site's webhook and every event waiting for it; False if it had none."""
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(keys.webhook(site))
            pipe.delete(keys.webhook_events(site), keys.webhook_parked(site))
            pipe.zrem(keys.webhooks_due(keys.partition(site)), site)
            existed, *_ = pipe.execute()
        return bool(existed)

    @translate_errors
    def redeliver(self, site: str, now: float | None = None) -> int:
        """Queue the site's parked events again, ahead of newer ones; how many."""
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.lrange(keys.webhook_parked(site), 0, -1)
            pipe.delete(keys.webhook_parked(site))
            parked, _ = pipe.execute()
        if parked:
            with self._redis.pipeline(transaction=True) as pipe:
                pipe.lpush(keys.webhook_events(site), *reversed(parked))
                due = keys.webhooks_due(keys.partition(site))
                pipe.zadd(due, {site: time.time() if now is None else now})
                pipe.execute()
        return len(parked)

    @translate_errors
    def claim(self, now: float, limit: int) -> list[Pending]:
        """Claim up to `limit` due sites and return each one's oldest event (partitions
        taken in turn, starting after the one that came first last time)."""
        sites: list[str] = []
        parts = keys.partitions()
        self._turn = (self._turn + 1) % len(parts)
        for part in parts[self._turn :] + parts[: self._turn]:
            if len(sites) >= limit:
                break
            claimed = run_script(
                self._redis,
                self._claim,
                [keys.webhooks_due(part)],
                [repr(now), str(limit - len(sites)), repr(now + CLAIM_S)],
            )
            sites += [site.decode() for site in claimed]
        with self._redis.pipeline(transaction=False) as pipe:
            for site in sites:
                pipe.lindex(keys.webhook_events(site), 0)
                pipe.hmget(keys.webhook(site), "url", "secret", "created_at", "attempts")
                pipe.hget(keys.webhook(site), "failing_since")
            replies = pipe.execute()
        found = []
        for n, site in enumerate(sites):
            head, (url, secret, created, attempts), since = replies[n * 3 : n * 3 + 3]
            if head is None:
                run_script(
                    self._redis,
                    self._idle,
                    [keys.webhook_events(site), keys.webhooks_due(keys.partition(site))],
                    [site],
                )
                continue
            if url is None or secret is None:  # removed meanwhile: its queue goes too
                self._finish(site, head.decode(), now, "ok", now, "", "")
                continue
            endpoint = Endpoint(url.decode(), secret.decode(), float(created or 0))
            failing = float(since) if since else None
            found.append(Pending(site, head.decode(), endpoint, int(attempts or 0), failing))
        return found

    @translate_errors
    def delivered(self, pending: Pending, now: float, status: str) -> None:
        """The receiver took the event: the next one is due now."""
        self._finish(pending.site, pending.raw, now, "ok", now, status, "")

    @translate_errors
    def failed(
        self, pending: Pending, now: float, retry_at: float, status: str, error: str
    ) -> bool:
        """A delivery failed: try again at `retry_at`, or park the event once it has failed
        for RETRY_FOR_S (the queue then moves on). True if it was parked."""
        since = pending.failing_since if pending.failing_since is not None else now
        park = now - since >= RETRY_FOR_S
        outcome = "park" if park else "retry"
        self._finish(pending.site, pending.raw, now, outcome, retry_at, status, error)
        return park

    def _finish(
        self, site: str, raw: str, now: float, outcome: str, next_at: float, status: str, error: str
    ) -> None:
        script_keys = [
            keys.webhook_events(site),
            keys.webhook(site),
            keys.webhooks_due(keys.partition(site)),
            keys.webhook_parked(site),
        ]
        args = [raw, site, repr(now), outcome, repr(next_at), status, error[:200]]
        run_script(self._redis, self._done, script_keys, args)
