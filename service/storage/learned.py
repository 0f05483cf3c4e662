"""Each site's learned weights in Redis, and a worker's cached copy of them."""

from __future__ import annotations

import time
from array import array
from collections.abc import Iterable, Mapping

import redis

from service.scoring.site_model import SiteModel
from service.storage import keys
from service.storage.connection import translate_errors

#: How often a worker asks whether another worker taught a site something new.
REFRESH_S = 2.0
#: How long what a decision taught is kept, so that a changed decision can take it back.
UNDO_WINDOW_S = 7 * 86_400


class LearnedStore:
    """Reads and adds to sites' learned weights; keeps the ones in use in memory.

    Every decision learned or undone bumps the site's version; a worker reloads a site only when its
    version moved, and asks at most every `refresh_s`. A site nobody decided on costs one
    field lookup per `refresh_s`, and scores exactly as the shipped model.
    """

    def __init__(self, client: redis.Redis, refresh_s: float = REFRESH_S) -> None:
        self._redis = client
        self._refresh_s = refresh_s
        self._cache: dict[str, tuple[int, SiteModel]] = {}
        self._checked: dict[str, float] = {}

    @translate_errors
    def models(self, sites: Iterable[str]) -> dict[str, SiteModel]:
        """The learned model of each of these sites that has one."""
        wanted = set(sites)
        now = time.monotonic()
        due = sorted(s for s in wanted if now - self._checked.get(s, -1e9) >= self._refresh_s)
        if due:
            versions = self._versions(due)
            for site, raw in zip(due, versions, strict=True):
                self._checked[site] = now
                self._refresh(site, int(raw or 0))
        return {site: self._cache[site][1] for site in wanted if site in self._cache}

    def model(self, site: str) -> SiteModel:
        """The site's learned model to take steps on: the current one, or a new, empty one."""
        found = self.models([site]).get(site)
        if found is None:
            found = SiteModel()
            self._cache[site] = (0, found)
        return found

    @translate_errors
    def add(self, site: str, comment_id: str, changes: Mapping[int, tuple[float, float]]) -> None:
        """Add a decision's learned changes to the site's weights; keep them to undo later."""
        buckets = array("q", changes)
        deltas = array("d", (weight for weight, _ in changes.values()))
        with self._redis.pipeline(transaction=True) as pipe:
            for bucket, (weight, square) in changes.items():
                pipe.hincrbyfloat(keys.learned_weights(site), str(bucket), weight)
                pipe.hincrbyfloat(keys.learned_squares(site), str(bucket), square)
            step = keys.learned_step(keys.partition(site), comment_id)
            pipe.hset(step, mapping={"buckets": buckets.tobytes(), "deltas": deltas.tobytes()})
            pipe.expire(step, UNDO_WINDOW_S)
            pipe.hincrby(keys.learned_versions(keys.partition(site)), site, 1)
            self._stepped(site, int(pipe.execute()[-1]))

    @translate_errors
    def undo(self, site: str, comment_id: str) -> bool:
        """Take back what the last decision on a comment taught, if it is still kept."""
        step = keys.learned_step(keys.partition(site), comment_id)
        kept = self._redis.hgetall(step)
        if not kept:
            return False
        buckets, deltas = array("q"), array("d")
        buckets.frombytes(kept[b"buckets"])
        deltas.frombytes(kept[b"deltas"])
        model = self.model(site)
        with self._redis.pipeline(transaction=True) as pipe:
            for bucket, delta in zip(buckets, deltas, strict=True):
                pipe.hincrbyfloat(keys.learned_weights(site), str(bucket), -delta)
                model.weights[bucket] = model.weights.get(bucket, 0.0) - delta
            pipe.delete(step)
            pipe.hincrby(keys.learned_versions(keys.partition(site)), site, 1)
            self._stepped(site, int(pipe.execute()[-1]))
        return True

    def _stepped(self, site: str, version: int) -> None:
        cached = self._cache.get(site)
        if cached is not None and cached[0] == version - 1:
            # Nobody else wrote in between: the copy that took this step is current.
            self._cache[site] = (version, cached[1])

    @translate_errors
    def summary_of(self, site: str) -> tuple[int, int]:
        """(learning steps taken, features weighted) for one site; (0, 0) if none."""
        with self._redis.pipeline(transaction=False) as pipe:
            pipe.hget(keys.learned_versions(keys.partition(site)), site)
            pipe.hlen(keys.learned_weights(site))
            steps, features = pipe.execute()
        return int(steps or 0), int(features)

    @translate_errors
    def summary(self) -> dict[str, tuple[int, int]]:
        """Each site with learned weights: (learning steps taken, features weighted)."""
        return {site: self.summary_of(site) for site in learning_steps(self._redis)}

    @translate_errors
    def forget(self, site: str) -> bool:
        """Delete what a site's decisions taught; return whether there was anything."""
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.delete(keys.learned_weights(site), keys.learned_squares(site))
            pipe.hdel(keys.learned_versions(keys.partition(site)), site)
            deleted = pipe.execute()
        self._cache.pop(site, None)
        self._checked.pop(site, None)
        return bool(deleted[0])

    def _versions(self, sites: list[str]) -> list[bytes | None]:
        """Each site's version: one HMGET per partition, in one round trip."""
        by_part: dict[str, list[str]] = {}
        for site in sites:
            by_part.setdefault(keys.partition(site), []).append(site)
        with self._redis.pipeline(transaction=False) as pipe:
            for part, named in by_part.items():
                pipe.hmget(keys.learned_versions(keys.Part(part)), named)
            replies = pipe.execute()
        found = {
            site: value
            for named, reply in zip(by_part.values(), replies, strict=True)
            for site, value in zip(named, reply, strict=True)
        }
        return [found[site] for site in sites]

    def _refresh(self, site: str, version: int) -> None:
        if version == 0:
            self._cache.pop(site, None)
        elif site not in self._cache or self._cache[site][0] != version:
            self._cache[site] = (version, self._load(site))

    def _load(self, site: str) -> SiteModel:
        with self._redis.pipeline(transaction=True) as pipe:
            pipe.hgetall(keys.learned_weights(site))
            pipe.hgetall(keys.learned_squares(site))
            weights, squares = pipe.execute()
        return SiteModel(
            {int(k): float(v) for k, v in weights.items()},
            {int(k): float(v) for k, v in squares.items()},
        )


def learning_steps(client: redis.Redis) -> dict[str, int]:
    """Each site with learned weights and the learning steps it has taken."""
    with client.pipeline(transaction=False) as pipe:
        for part in keys.partitions():
            pipe.hgetall(keys.learned_versions(part))
        replies = pipe.execute()
    return {site.decode(): int(count) for steps in replies for site, count in steps.items()}
