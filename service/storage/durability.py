"""Whether a Redis can lose a comment it acknowledged, checked from its own configuration."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from typing import cast

import redis
from redis.cluster import RedisCluster

from service.moderation.errors import StorageUnavailableError
from service.moderation.ports import Durability
from service.storage.connection import every_node, is_cluster

log = logging.getLogger("modq.storage")

#: Setting -> the values under which an acknowledged write survives a crash of Redis.
SAFE_VALUES = {
    "appendonly": {"yes"},
    "appendfsync": {"always"},
    "maxmemory-policy": {"noeviction"},
}


def inspect(client: redis.Redis) -> Durability:
    """Read the settings that decide durability on every node (a cluster's primaries and
    replicas: a replica promoted by a failover must keep what it was sent); a node that hides
    them is not trusted. On a cluster, each problem names its node."""
    nodes = every_node(client)
    problems: list[str] = []
    for name, node in nodes:
        where = f"{name}: " if len(nodes) > 1 else ""
        try:
            config = node.config_get("append*")
            config.update(node.config_get("maxmemory-policy"))
        except redis.ResponseError:
            problems.append(f"{where}CONFIG GET is refused, so durability cannot be checked")
            continue
        problems += [
            f"{where}{setting} is {config.get(setting, 'unset')!r}, "
            f"needs {' or '.join(sorted(safe))!r}"
            for setting, safe in SAFE_VALUES.items()
            if config.get(setting) not in safe
        ]
    if is_cluster(client):
        problems += unreplicated(client)
    return Durability(tuple(problems))


def unreplicated(client: redis.Redis) -> list[str]:
    """The cluster's primaries without a replica online: what they acknowledged dies with
    them."""
    cluster = cast(RedisCluster, client)
    problems = []
    for node in cluster.get_primaries():
        info = cast(redis.Redis, cluster.get_redis_connection(node)).info("replication")
        online = [
            value
            for name, value in info.items()
            if name.startswith("slave")
            and isinstance(value, dict)
            and value.get("state") == "online"
        ]
        if not online:
            problems.append(f"{node.name}: a primary without a replica online")
    return problems


#: How long an unsafe finding is kept before Redis is asked again.
UNSAFE_TTL_S = 0.5


class Guard:
    """Refuses writes to a Redis that could lose them, unless the operator accepted that."""

    def __init__(
        self,
        client: redis.Redis,
        accept_data_loss: bool,
        ttl_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self.accept_data_loss = accept_data_loss
        self._ttl_s = ttl_s
        self._clock = clock
        self._checked: tuple[float, Durability] | None = None

    def current(self) -> Durability:
        """The durability of the Redis, re-read at most every `ttl_s` seconds, or every
        UNSAFE_TTL_S while it is unsafe: writes resume soon after it is fixed (a cluster's
        replica back online after a failover, say)."""
        now = self._clock()
        if self._checked is None or now - self._checked[0] > self._ttl(self._checked[1]):
            durability = inspect(self._client)
            if not durability.safe:
                log.warning(
                    "event=redis.unsafe accepted=%s problems=%r",
                    self.accept_data_loss,
                    "; ".join(durability.problems),
                )
            self._checked = (now, durability)
        return self._checked[1]

    def _ttl(self, durability: Durability) -> float:
        return self._ttl_s if durability.safe else min(self._ttl_s, UNSAFE_TTL_S)

    def before_write(self) -> None:
        """Raise StorageUnavailableError if an acknowledged write could be lost."""
        durability = self.current()
        if not durability.safe and not self.accept_data_loss:
            raise StorageUnavailableError(
                "Redis can lose acknowledged comments: " + "; ".join(durability.problems)
            )
