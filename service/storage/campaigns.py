"""A site's campaigns as the review queue and moderators see them: sizes, calls, held copies.

The seen script (storage/seen.py) founds and grows campaigns as workers score; a
decision's transaction records the latest call (storage/comments.py).
"""

from __future__ import annotations

import redis

from service.moderation.comments import Campaign, Decision
from service.storage import keys
from service.storage.connection import translate_errors


class CampaignReads:
    """The campaign part of the comment store (`CommentStore` has these methods)."""

    _redis: redis.Redis

    @translate_errors
    def campaigns(self, site: str, campaign_ids: list[str]) -> list[Campaign | None]:
        """Each campaign's size and latest call; None for one the site never had."""
        fields = ["next"] + [f"{cid}:{part}" for cid in campaign_ids for part in "nd"]
        founded, *values = self._redis.hmget(keys.campaigns(site), fields)
        found: list[Campaign | None] = []
        for cid, size, decision in zip(campaign_ids, values[::2], values[1::2], strict=True):
            if not (cid.isdecimal() and 0 < int(cid) <= int(founded or 0)):
                found.append(None)
                continue
            call = Decision(decision.decode()) if decision else None
            found.append(Campaign(cid, int(size or 1), call))
        return found

    @translate_errors
    def largest_campaigns(self, site: str, limit: int) -> list[Campaign]:
        """The site's campaigns of two copies or more, and any a moderator called, largest
        first."""
        raw = self._redis.hgetall(keys.campaigns(site))
        parts: dict[str, dict[str, str]] = {}
        for field, value in raw.items():
            name, _, part = field.decode().partition(":")
            if part:
                parts.setdefault(name, {})[part] = value.decode()
        found = [
            Campaign(cid, int(p.get("n", 1)), Decision(p["d"]) if "d" in p else None)
            for cid, p in parts.items()
        ]
        return sorted(found, key=lambda c: (-c.size, int(c.id)))[:limit]

    @translate_errors
    def held_in_campaign(self, site: str, campaign_id: str) -> list[str]:
        """The ids of a campaign's comments in the site's review queue, oldest first."""
        held = [member.decode() for member in self._redis.zrange(keys.review_queue(site), 0, -1)]
        part = keys.partition(site)
        with self._redis.pipeline(transaction=False) as pipe:
            for comment_id in held:
                pipe.hget(keys.comment(part, comment_id), "campaign")
            found = pipe.execute()
        return [cid for cid, of in zip(held, found, strict=True) if of == campaign_id.encode()]

    @translate_errors
    def mark_campaign(self, site: str, campaign_id: str, decision: Decision) -> None:
        """Record a moderator's call on a whole campaign (spam: later copies are spam)."""
        self._redis.hset(keys.campaigns(site), f"{campaign_id}:d", decision.value)
