"""A worker's copy of one thing per site, read again once it is a few seconds old."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

T = TypeVar("T")

#: How long a worker uses what it read of a site before it reads it again.
REFRESH_S = 2.0


class PerSite(Generic[T]):
    """Each site's value from `read` (given the sites due, one round trip for them all),
    kept for `refresh_s` seconds."""

    def __init__(self, read: Callable[[list[str]], dict[str, T]], refresh_s: float) -> None:
        self._read = read
        self._refresh_s = refresh_s
        self._kept: dict[str, tuple[float, T]] = {}

    def of(self, sites: Iterable[str]) -> dict[str, T]:
        """Each site's value, from memory when read less than `refresh_s` ago."""
        now = time.monotonic()
        wanted = set(sites)
        due = [s for s in wanted if now - self._kept.get(s, (-1e9,))[0] >= self._refresh_s]
        if due:
            for site, value in self._read(due).items():
                self._kept[site] = (now, value)
        return {site: self._kept[site][1] for site in wanted}

    def forget(self, site: str) -> None:
        """Read the site again next time (this process just changed it)."""
        self._kept.pop(site, None)
