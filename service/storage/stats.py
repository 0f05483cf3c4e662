"""Each site's daily counts in Redis: one hash per site and day, written by the verdict script
and by decisions, read here."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

import redis

from service.moderation.stats import DayStats
from service.storage import keys
from service.storage.connection import translate_errors


class StatsStore:
    """Reads a site's daily counts."""

    def __init__(self, client: redis.Redis) -> None:
        self._redis = client

    @translate_errors
    def days(self, site: str, days: Sequence[date]) -> list[DayStats]:
        """The site's counts for each of `days` (zeros where nothing was counted)."""
        with self._redis.pipeline(transaction=False) as pipe:
            for day in days:
                pipe.hgetall(keys.site_day(site, day))
            replies = pipe.execute()
        return [
            DayStats.of(day, {k.decode(): int(v) for k, v in raw.items()})
            for day, raw in zip(days, replies, strict=True)
        ]
