"""Whether a Redis can lose a comment it acknowledged, checked from its own configuration."""

from __future__ import annotations

import logging
import time

import redis

from service.moderation.errors import StorageUnavailableError
from service.moderation.ports import Durability

log = logging.getLogger("modq.storage")

#: Setting -> the values under which an acknowledged write survives a crash of Redis.
SAFE_VALUES = {
    "appendonly": {"yes"},
    "appendfsync": {"always"},
    "maxmemory-policy": {"noeviction"},
}


def inspect(client: redis.Redis) -> Durability:
    """Read the settings that decide durability; a Redis that hides them is not trusted."""
    try:
        config = client.config_get("append*")
        config.update(client.config_get("maxmemory-policy"))
    except redis.ResponseError:
        return Durability(("CONFIG GET is refused, so durability cannot be checked",))
    problems = tuple(
        f"{name} is {config.get(name, 'unset')!r}, needs {' or '.join(sorted(safe))!r}"
        for name, safe in SAFE_VALUES.items()
        if config.get(name) not in safe
    )
    return Durability(problems)


class Guard:
    """Refuses writes to a Redis that could lose them, unless the operator accepted that."""

    def __init__(self, client: redis.Redis, accept_data_loss: bool, ttl_s: float = 5.0) -> None:
        self._client = client
        self.accept_data_loss = accept_data_loss
        self._ttl_s = ttl_s
        self._checked: tuple[float, Durability] | None = None

    def current(self) -> Durability:
        """The durability of the Redis, re-read at most every `ttl_s` seconds."""
        now = time.monotonic()
        if self._checked is None or now - self._checked[0] > self._ttl_s:
            durability = inspect(self._client)
            if not durability.safe:
                log.warning(
                    "event=redis.unsafe accepted=%s problems=%r",
                    self.accept_data_loss,
                    "; ".join(durability.problems),
                )
            self._checked = (now, durability)
        return self._checked[1]

    def before_write(self) -> None:
        """Raise StorageUnavailableError if an acknowledged write could be lost."""
        durability = self.current()
        if not durability.safe and not self.accept_data_loss:
            raise StorageUnavailableError(
                "Redis can lose acknowledged comments: " + "; ".join(durability.problems)
            )
