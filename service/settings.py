"""Settings: the only reader of the process environment."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from dataclasses import Field, dataclass, field, fields
from pathlib import Path
from typing import Any

import limits

DEFAULT_MODEL_PATH = (
    Path(__file__).resolve().parents[1] / "model" / "artifacts" / "modq-model.skops"
)


class SettingsError(ValueError):
    """A variable in the environment has a value modq cannot use."""


def _read(setting: Field[Any], raw: str) -> Any:
    try:
        return setting.metadata["parse"](raw)
    except ValueError as exc:
        raise SettingsError(f"{setting.metadata['env']}: {exc}") from None


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
    if not raw.startswith(("redis://", "rediss://", "unix://", "redis+cluster://")):
        raise ValueError(
            f"expected a redis://, rediss://, unix:// or redis+cluster:// URL, got {raw!r}"
        )
    return raw


def _setting(env: str, parse: Callable[[str], Any], default: Any, **options: Any) -> Any:
    """Declare a setting: its variable, how its text is read, its default."""
    return field(default=default, metadata={"env": env, "parse": parse}, **options)


@dataclass(frozen=True)
class Settings:
    """Every tunable of modq, each declared once: its variable, its parser, its default."""

    redis_url: str | None = _setting("REDIS_URL", _redis_url, None)
    data_dir: Path = _setting("MODQ_DATA_DIR", Path, Path("var"))
    redis_server: str | None = _setting("MODQ_REDIS_SERVER", str, None)
    accept_data_loss: bool = _setting("MODQ_ACCEPT_DATA_LOSS", _bool, False)
    #: Let webhooks post to loopback and private addresses (local set-ups, tests).
    webhook_allow_private: bool = _setting("MODQ_WEBHOOK_ALLOW_PRIVATE", _bool, False)
    host: str = _setting("MODQ_HOST", str, "127.0.0.1")
    port: int = _setting("MODQ_PORT", _int(1), 8000)
    api_workers: int = _setting("MODQ_API_WORKERS", _int(1), 2)
    api_threads: int = _setting("MODQ_API_THREADS", _int(1), 16)
    #: Requests per API process that may wait for a verdict at once (`Prefer: wait`).
    wait_slots: int = _setting("MODQ_WAIT_SLOTS", _int(0), 8)
    #: How long an Akismet comment-check waits for its verdict, in ms (docs/akismet.md).
    akismet_wait_ms: int = _setting("MODQ_AKISMET_WAIT_MS", _int(0), 800)
    #: On a cluster, how long a 202 waits for a replica to have the comment (else 503).
    replica_wait_ms: int = _setting("MODQ_REPLICA_WAIT_MS", _int(0), 1000)
    #: Partitions the keys are spread over (docs/scaling.md); unset: what Redis records, or 1.
    partitions: int | None = _setting("MODQ_PARTITIONS", _int(1), None)
    scoring_workers: int = _setting("MODQ_SCORING_WORKERS", _int(0), 1)
    learning_workers: int = _setting("MODQ_LEARNING_WORKERS", _int(0), 1)
    model_path: Path = _setting("MODQ_MODEL_PATH", Path, DEFAULT_MODEL_PATH)
    approve_below: float | None = _setting("MODQ_APPROVE_BELOW", _float, None)
    reject_above: float | None = _setting("MODQ_REJECT_ABOVE", _float, None)
    batch_size: int = _setting("MODQ_BATCH_SIZE", _int(1), 256)
    block_ms: int = _setting("MODQ_BLOCK_MS", _int(1), 1000)
    reclaim_idle_ms: int = _setting("MODQ_RECLAIM_IDLE_MS", _int(1), 30_000)
    max_deliveries: int = _setting("MODQ_MAX_DELIVERIES", _int(1), 5)
    max_request_bytes: int = _setting("MODQ_MAX_REQUEST_BYTES", _int(1024), 256 * 1024)
    pepper: str | None = _setting("MODQ_PEPPER", _pepper, None, repr=False)
    #: The bearer token `GET /metrics` asks for (its labels name every site); unset, it
    #: answers no one.
    metrics_token: str | None = _setting("MODQ_METRICS_TOKEN", _pepper, None, repr=False)
    ip_retention_days: int = _setting("MODQ_IP_RETENTION_DAYS", _int(1), 30)
    spam_retention_days: int = _setting("MODQ_SPAM_RETENTION_DAYS", _int(1), 30)
    rate_limit_per_ip: str | None = _setting(
        "MODQ_RATE_LIMIT_PER_IP", _rate_limit, "10/minute;100/hour"
    )
    rate_limit_per_site: str | None = _setting(
        "MODQ_RATE_LIMIT_PER_SITE", _rate_limit, "6000/minute"
    )
    rate_limit_auth_failures: str | None = _setting(
        "MODQ_RATE_LIMIT_AUTH_FAILURES", _rate_limit, "30/minute"
    )
    trusted_proxies: tuple[str, ...] = _setting("MODQ_TRUSTED_PROXIES", _networks, ())
    log_level: str = _setting("MODQ_LOG_LEVEL", str, "INFO")
    key_cache_seconds: float = _setting("MODQ_KEY_CACHE_SECONDS", _float, 1.0)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read settings from `environ` (default: the process); raise SettingsError on bad ones."""
        env = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for setting in fields(cls):
            raw = env.get(setting.metadata["env"], "").strip()
            if raw:
                values[setting.name] = _read(setting, raw)
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


#: Each setting's environment variable, by field name.
ENV: dict[str, str] = {setting.name: setting.metadata["env"] for setting in fields(Settings)}
