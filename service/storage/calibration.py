"""Each site's calibration in Redis: decisions per script, its latest decisions, and its own
thresholds; and a worker's copy of it, re-read every few seconds."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import redis

from service.moderation.comments import Decision
from service.moderation.policy import Calibration, Recent, Thresholds
from service.storage import keys
from service.storage.connection import translate_errors
from service.storage.per_site import REFRESH_S, PerSite

#: How many of a site's latest decisions its thresholds are fitted on.
RECENT_DECISIONS = 500
#: Who set a site's thresholds.
BY_DECISIONS, BY_OPERATOR = "decisions", "operator"
_RECEIVED = ("scored_approved", "scored_spam")


class CalibrationStore:
    """Records what sites' decisions establish; remembers those in use for `refresh_s`."""

    def __init__(self, client: redis.Redis, refresh_s: float = REFRESH_S) -> None:
        self._redis = client
        self._cache = PerSite(self._read, refresh_s)

    @translate_errors
    def calibration(self, site: str) -> Calibration:
        """The site's calibration as stored now."""
        return self._read([site])[site]

    @translate_errors
    def of(self, sites: Iterable[str]) -> dict[str, Calibration]:
        """Each site's calibration, from memory when read less than `refresh_s` ago."""
        return self._cache.of(sites)

    @translate_errors
    def record(self, site: str, decided: Sequence[tuple[float | None, bool, str]]) -> Recent:
        """Add decisions (P(spam) at the verdict or None, spam or not, the comment's script);
        return the site's latest ones with what it received meanwhile."""
        received = self._redis.hmget(keys.site_counters(site), _RECEIVED)
        now = [int(n or 0) for n in received]
        with self._redis.pipeline(transaction=True) as pipe:
            for score, spam, script in decided:
                decision = Decision.SPAM if spam else Decision.APPROVE
                pipe.hincrby(keys.site_scripts(site), f"{script}:{decision.value}", 1)
                if score is not None:
                    entry = f"{score!r} {int(spam)} {now[0]} {now[1]}"
                    pipe.lpush(keys.recent_decisions(site), entry)
            pipe.ltrim(keys.recent_decisions(site), 0, RECENT_DECISIONS - 1)
            pipe.lrange(keys.recent_decisions(site), 0, -1)
            raw = [entry.decode().split() for entry in pipe.execute()[-1]]
        entries = [
            (float(p), spam == "1", int(approved), int(rejected))
            for p, spam, approved, rejected in raw
        ]
        return Recent.since(entries, (now[0], now[1]))

    @translate_errors
    def fit(self, site: str, thresholds: Thresholds | None) -> None:
        """Store thresholds the site's decisions chose, unless an operator set its own."""
        if self._redis.hget(keys.site_thresholds(site), "set_by") == BY_OPERATOR.encode():
            return
        self._write(site, thresholds, BY_DECISIONS)

    @translate_errors
    def set_thresholds(self, site: str, thresholds: Thresholds | None) -> None:
        """An operator's thresholds for the site; None: back to those its decisions choose."""
        self._write(site, thresholds, BY_OPERATOR)

    def _write(self, site: str, thresholds: Thresholds | None, set_by: str) -> None:
        key = keys.site_thresholds(site)
        if thresholds is None:
            self._redis.delete(key)
        else:
            values = {
                "approve_below": repr(thresholds.approve_below),
                "reject_above": repr(thresholds.reject_above),
                "set_by": set_by,
            }
            self._redis.hset(key, mapping=values)
        self._cache.forget(site)

    def _read(self, sites: list[str]) -> dict[str, Calibration]:
        if not sites:
            return {}
        with self._redis.pipeline(transaction=False) as pipe:
            for site in sites:
                pipe.hgetall(keys.site_thresholds(site))
                pipe.hgetall(keys.site_scripts(site))
            replies = pipe.execute()
        return {
            site: _calibration(thresholds, scripts)
            for site, thresholds, scripts in zip(sites, replies[::2], replies[1::2], strict=True)
        }


def _calibration(raw: dict[bytes, bytes], scripts: dict[bytes, bytes]) -> Calibration:
    counts: dict[str, list[int]] = {}
    for field, value in scripts.items():
        script, decision = field.decode().rsplit(":", 1)
        counts.setdefault(script, [0, 0])[decision != Decision.SPAM.value] += int(value)
    by_script = {script: (spam, ham) for script, (spam, ham) in counts.items()}
    if not raw:
        return Calibration(scripts=by_script)
    thresholds = Thresholds(float(raw[b"approve_below"]), float(raw[b"reject_above"]))
    return Calibration(thresholds, raw[b"set_by"].decode(), by_script)
