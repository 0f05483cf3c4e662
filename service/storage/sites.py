"""Each site's rules in Redis, and a worker's copy of them, re-read every few seconds."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable

import redis

from service.moderation.rules import SiteRules
from service.storage import keys
from service.storage.connection import translate_errors

#: How long a worker uses a site's rules before it reads them again.
REFRESH_S = 2.0


class RulesStore:
    """Reads and replaces sites' rules; remembers those in use for `refresh_s` seconds."""

    def __init__(self, client: redis.Redis, refresh_s: float = REFRESH_S) -> None:
        self._redis = client
        self._refresh_s = refresh_s
        self._cache: dict[str, tuple[float, SiteRules]] = {}

    @translate_errors
    def rules(self, site: str) -> SiteRules:
        """The site's rules as stored now (the defaults if it never set any)."""
        return _from_json(self._redis.get(keys.site_rules(site)))

    @translate_errors
    def set_rules(self, site: str, rules: SiteRules) -> None:
        """Replace the site's rules."""
        self._redis.set(keys.site_rules(site), json.dumps(rules.values()))
        self._cache.pop(site, None)

    @translate_errors
    def rules_of(self, sites: Iterable[str]) -> dict[str, SiteRules]:
        """Each site's rules, from memory when read less than `refresh_s` ago."""
        now = time.monotonic()
        wanted = set(sites)
        due = [s for s in wanted if now - self._cache.get(s, (-1e9,))[0] >= self._refresh_s]
        if due:
            stored = self._redis.mget([keys.site_rules(s) for s in due])
            for site, raw in zip(due, stored, strict=True):
                self._cache[site] = (now, _from_json(raw))
        return {site: self._cache[site][1] for site in wanted}


def _from_json(raw: bytes | None) -> SiteRules:
    return SiteRules.of(json.loads(raw)) if raw else SiteRules()
