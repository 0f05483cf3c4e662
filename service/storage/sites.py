"""Each site's rules in Redis, and a worker's copy of them, re-read every few seconds."""

from __future__ import annotations

import json
from collections.abc import Iterable

import redis

from service.moderation.rules import SiteRules
from service.storage import keys
from service.storage.connection import translate_errors
from service.storage.per_site import REFRESH_S, PerSite


class RulesStore:
    """Reads and replaces sites' rules; remembers those in use for `refresh_s` seconds."""

    def __init__(self, client: redis.Redis, refresh_s: float = REFRESH_S) -> None:
        self._redis = client
        self._cache = PerSite(self._read, refresh_s)

    @translate_errors
    def rules(self, site: str) -> SiteRules:
        """The site's rules as stored now (the defaults if it never set any)."""
        return _from_json(self._redis.get(keys.site_rules(site)))

    @translate_errors
    def set_rules(self, site: str, rules: SiteRules) -> None:
        """Replace the site's rules."""
        self._redis.set(keys.site_rules(site), json.dumps(rules.values()))
        self._cache.forget(site)

    @translate_errors
    def rules_of(self, sites: Iterable[str]) -> dict[str, SiteRules]:
        """Each site's rules, from memory when read less than `refresh_s` ago."""
        return self._cache.of(sites)

    def _read(self, sites: list[str]) -> dict[str, SiteRules]:
        stored = self._redis.mget([keys.site_rules(s) for s in sites])
        return {site: _from_json(raw) for site, raw in zip(sites, stored, strict=True)}


def _from_json(raw: bytes | None) -> SiteRules:
    return SiteRules.of(json.loads(raw)) if raw else SiteRules()
