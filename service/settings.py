"""Settings: the only reader of the process environment."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, TypeVar

import limits

T = TypeVar("T")

DEFAULT_MODEL_PATH = (
    Path(__file__).resolve().parents[1] / "model" / "artifacts" / "modq-model.skops"
)


class SettingsError(ValueError):
    """A variable in the environment has a value modq cannot use."""


@dataclass(frozen=True)
class Settings:
    """Every tunable of modq; each field is read from the variable named in `ENV`."""

    redis_url: str | None = None
    data_dir: Path = Path("var")
    redis_server: str | None = None
    accept_data_loss: bool = False
    host: str = "127.0.0.1"
    port: int = 8000
    api_workers: int = 2
    api_threads: int = 16
    scoring_workers: int = 1
    model_path: Path = DEFAULT_MODEL_PATH
    approve_below: float | None = None
    reject_above: float | None = None
    batch_size: int = 256
    block_ms: int = 1000
    reclaim_idle_ms: int = 30_000
    max_deliveries: int = 5
    max_request_bytes: int = 256 * 1024
    pepper: str | None = field(default=None, repr=False)
    ip_retention_days: int = 30
    spam_retention_days: int = 30
    rate_limit_per_ip: str | None = "10/minute;100/hour"
    rate_limit_per_site: str | None = "6000/minute"
    rate_limit_auth_failures: str | None = "30/minute"
    trusted_proxies: tuple[str, ...] = ()
    log_level: str = "INFO"
    key_cache_seconds: float = 1.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read settings from `environ` (default: the process); raise SettingsError on bad ones."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for setting in fields(cls):
            name = ENV[setting.name]
            raw = env.get(name, "").strip()
            if raw:
                values[setting.name] = _parse(name, raw, PARSERS[setting.name])
        values.update(overrides)
        settings = cls(**values)
        settings.check()
        return settings

    def check(self) -> None:
        """Raise SettingsError when values are fine alone but not together."""
        if not 0 < self.port < 65536:
            raise SettingsError(f"MODQ_PORT must be between 1 and 65535, got {self.port}")
        for name in ("approve_below", "reject_above"):
            value = getattr(self, name)
            if value is not None and not 0.0 <= value <= 1.0:
                raise SettingsError(f"{ENV[name]} must be a probability in [0, 1], got {value}")
        if (
            self.approve_below is not None
            and self.reject_above is not None
            and self.approve_below > self.reject_above
        ):
            raise SettingsError("MODQ_APPROVE_BELOW must not be greater than MODQ_REJECT_ABOVE")
        if self.key_cache_seconds < 0:
            raise SettingsError("MODQ_KEY_CACHE_SECONDS must not be negative")
        if self.log_level.upper() not in {"DEBUG", "INFO", "WARNING", "ERROR"}:
            raise SettingsError(
                f"MODQ_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR, got {self.log_level!r}"
            )

    @property
    def embedded_redis(self) -> bool:
        """True when modq runs its own redis-server under `data_dir`."""
        return self.redis_url is None


def _parse(name: str, raw: str, parser: Callable[[str], T]) -> T:
    try:
        return parser(raw)
    except ValueError as exc:
        raise SettingsError(f"{name}: {exc}") from None


def _int(minimum: int) -> Callable[[str], int]:
    def parse(raw: str) -> int:
        try:
            value = int(raw)
        except ValueError:
            raise ValueError(f"expected a whole number, got {raw!r}") from None
        if value < minimum:
            raise ValueError(f"must be at least {minimum}, got {value}")
        return value

    return parse


def _float(raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        raise ValueError(f"expected a number, got {raw!r}") from None


def _bool(raw: str) -> bool:
    value = raw.lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    raise ValueError(f"expected yes or no, got {raw!r}")


def _pepper(raw: str) -> str:
    if len(raw) < 32:
        raise ValueError("must be at least 32 characters of secret (openssl rand -hex 32)")
    return raw


def _rate_limit(raw: str) -> str | None:
    if raw.lower() == "off":
        return None
    try:
        limits.parse_many(raw)
    except ValueError:
        raise ValueError(
            f"expected 'off' or limits like '10/minute;100/hour', got {raw!r}"
        ) from None
    return raw


def _networks(raw: str) -> tuple[str, ...]:
    parts = tuple(part.strip() for part in raw.split(",") if part.strip())
    for part in parts:
        try:
            ipaddress.ip_network(part, strict=False)
        except ValueError:
            raise ValueError(
                f"expected addresses or networks like 10.0.0.0/8, got {part!r}"
            ) from None
    return parts


def _redis_url(raw: str) -> str:
    if not raw.startswith(("redis://", "rediss://", "unix://")):
        raise ValueError(f"expected a redis://, rediss:// or unix:// URL, got {raw!r}")
    return raw


ENV: dict[str, str] = {
    "redis_url": "REDIS_URL",
    "data_dir": "MODQ_DATA_DIR",
    "redis_server": "MODQ_REDIS_SERVER",
    "accept_data_loss": "MODQ_ACCEPT_DATA_LOSS",
    "host": "MODQ_HOST",
    "port": "MODQ_PORT",
    "api_workers": "MODQ_API_WORKERS",
    "api_threads": "MODQ_API_THREADS",
    "scoring_workers": "MODQ_SCORING_WORKERS",
    "model_path": "MODQ_MODEL_PATH",
    "approve_below": "MODQ_APPROVE_BELOW",
    "reject_above": "MODQ_REJECT_ABOVE",
    "batch_size": "MODQ_BATCH_SIZE",
    "block_ms": "MODQ_BLOCK_MS",
    "reclaim_idle_ms": "MODQ_RECLAIM_IDLE_MS",
    "max_deliveries": "MODQ_MAX_DELIVERIES",
    "max_request_bytes": "MODQ_MAX_REQUEST_BYTES",
    "pepper": "MODQ_PEPPER",
    "ip_retention_days": "MODQ_IP_RETENTION_DAYS",
    "spam_retention_days": "MODQ_SPAM_RETENTION_DAYS",
    "rate_limit_per_ip": "MODQ_RATE_LIMIT_PER_IP",
    "rate_limit_per_site": "MODQ_RATE_LIMIT_PER_SITE",
    "rate_limit_auth_failures": "MODQ_RATE_LIMIT_AUTH_FAILURES",
    "trusted_proxies": "MODQ_TRUSTED_PROXIES",
    "log_level": "MODQ_LOG_LEVEL",
    "key_cache_seconds": "MODQ_KEY_CACHE_SECONDS",
}

PARSERS: dict[str, Callable[[str], Any]] = {
    "redis_url": _redis_url,
    "data_dir": Path,
    "redis_server": str,
    "accept_data_loss": _bool,
    "host": str,
    "port": _int(1),
    "api_workers": _int(1),
    "api_threads": _int(1),
    "scoring_workers": _int(0),
    "model_path": Path,
    "approve_below": _float,
    "reject_above": _float,
    "batch_size": _int(1),
    "block_ms": _int(1),
    "reclaim_idle_ms": _int(1),
    "max_deliveries": _int(1),
    "max_request_bytes": _int(1024),
    "pepper": _pepper,
    "ip_retention_days": _int(1),
    "spam_retention_days": _int(1),
    "rate_limit_per_ip": _rate_limit,
    "rate_limit_per_site": _rate_limit,
    "rate_limit_auth_failures": _rate_limit,
    "trusted_proxies": _networks,
    "log_level": str,
    "key_cache_seconds": _float,
}
