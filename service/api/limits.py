"""Rate limits per commenter IP, per site and per failing caller, counted in Redis."""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Sequence

import limits
from limits.storage import Storage
from limits.strategies import FixedWindowRateLimiter
from werkzeug.exceptions import TooManyRequests

log = logging.getLogger("modq.api")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


class RateLimited(TooManyRequests):
    """429 with the seconds to wait, in the one error shape."""

    def __init__(self, what: str, retry_after_s: int) -> None:
        super().__init__(f"too many {what}; retry after {retry_after_s} s")
        self.data = {"headers": {"Retry-After": str(retry_after_s)}}


class RateLimits:
    """Counts hits in Redis (so limits hold across processes and nodes) and refuses excess.

    A limit of None is off. If Redis cannot count, the request goes on: the write that
    follows will answer 503 on its own, and limits must never turn an outage into 429s.
    """

    def __init__(
        self,
        storage: Storage,
        per_ip: str | None,
        per_site: str | None,
        auth_failures: str | None,
    ) -> None:
        self._limiter = FixedWindowRateLimiter(storage)
        self._per_ip = _parse(per_ip)
        self._per_site = _parse(per_site)
        self._auth_failures = _parse(auth_failures)

    def submission(self, site: str, reader_ip: str) -> None:
        """Count a comment from `reader_ip` at `site`; raise RateLimited past either limit."""
        if reader_ip and self._per_ip:  # the bucket costs an address parse: only if counted
            bucket = ip_bucket(reader_ip)
            self._hit(self._per_ip, "comments from this commenter", "ip", site, bucket)
        self._hit(self._per_site, "comments from this site", "site", site)

    def auth_failure(self, caller: str) -> None:
        """Count a request with a bad key from `caller`; raise RateLimited past the limit."""
        self._hit(self._auth_failures, "requests with invalid keys", "auth", caller)

    def _hit(self, items: Sequence[limits.RateLimitItem], what: str, *key: str) -> None:
        try:
            for item in items:
                if not self._limiter.hit(item, *key):
                    reset = self._limiter.get_window_stats(item, *key).reset_time
                    raise RateLimited(what, max(1, int(reset - time.time()) + 1))
        except RateLimited:
            raise
        except Exception as exc:  # noqa: BLE001 - an outage is answered by the write, as 503
            log.warning("event=ratelimit.unavailable error=%s", type(exc).__name__)


def ip_bucket(reader_ip: str) -> str:
    """The rate-limit bucket of a reader: the IPv4 address, or the IPv6 /64 one home holds."""
    ip = ipaddress.ip_address(reader_ip)  # validated by the schema
    if ip.version == 6:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def _parse(spec: str | None) -> list[limits.RateLimitItem]:
    return [] if spec is None else limits.parse_many(spec)


def client_address(remote_addr: str, forwarded_for: str, trusted: Sequence[Network]) -> str:
    """The caller's address: X-Forwarded-For is believed only hop by hop from trusted proxies."""
    address = remote_addr
    hops = [hop.strip() for hop in forwarded_for.split(",") if hop.strip()]
    while hops and _is_trusted(address, trusted):
        address = hops.pop()
    return address


def _is_trusted(address: str, trusted: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in trusted)
