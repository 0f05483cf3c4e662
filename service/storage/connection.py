"""Redis clients with bounded timeouts, so a dead Redis fails requests fast instead of hanging."""

from __future__ import annotations

import functools
import hashlib
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import redis
from redis.commands.core import Script

from service.moderation.errors import StorageUnavailableError
from service.settings import Settings

P = ParamSpec("P")
R = TypeVar("R")

SOCKET_NAME = "redis.sock"
_MAX_SOCKET_PATH = 100


def redis_url(settings: Settings) -> str:
    """The URL every modq process uses: REDIS_URL, or the embedded server's socket."""
    if settings.redis_url:
        return settings.redis_url
    return f"unix://{embedded_socket(settings)}"


def embedded_socket(settings: Settings) -> Path:
    """Where the embedded redis-server listens: in the data dir, unless that path is too long."""
    path = (settings.data_dir / SOCKET_NAME).resolve()
    if len(str(path)) <= _MAX_SOCKET_PATH:
        return path
    # Unix socket paths are limited to ~107 bytes; fall back to one named after the data dir.
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"modq-{digest}.sock"


def connect(url: str, *, timeout_s: float = 1.5) -> redis.Redis:
    """Return a client whose every call gives up after `timeout_s`."""
    return redis.Redis.from_url(
        url,
        socket_timeout=timeout_s,
        socket_connect_timeout=timeout_s,
        health_check_interval=15,
        retry_on_timeout=False,
    )


def translate_errors(method: Callable[P, R]) -> Callable[P, R]:
    """Raise the domain's StorageUnavailableError for any Redis failure inside `method`."""

    @functools.wraps(method)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return method(*args, **kwargs)
        except redis.RedisError as exc:
            raise StorageUnavailableError(f"Redis: {type(exc).__name__}") from exc

    return wrapper


def run_script(
    client: redis.Redis, script: Script, keys: Sequence[str], args: Sequence[str]
) -> Any:
    """Run a registered script by `EVALSHA`, loading it again if Redis has lost it.

    Straight, not through redis-py's `Script.__call__`, which re-imports and re-tuples its
    arguments on every call (docs/benchmarks.md).
    """
    try:
        return client.execute_command("EVALSHA", script.sha, len(keys), *keys, *args)
    except redis.exceptions.NoScriptError:  # a restarted or flushed Redis
        return script(keys=keys, args=args)


class Sent:
    """A script call sent to Redis, its reply read later: the caller works while Redis runs
    it (the worker scores a batch while Redis records it for the rules)."""

    def __init__(
        self, client: redis.Redis, script: Script, keys: Sequence[str], args: Sequence[str]
    ) -> None:
        self._client, self._script, self._keys, self._args = client, script, keys, args
        self._connection = client.connection_pool.get_connection()
        try:
            self._connection.send_command("EVALSHA", script.sha, len(keys), *keys, *args)
        except BaseException:
            self._release(broken=True)
            raise

    def result(self) -> Any:
        """The script's reply (run again by `run_script` if Redis had lost the script)."""
        try:
            reply = self._connection.read_response()
        except redis.exceptions.NoScriptError:  # the reply is read: the connection is clean
            self._release(broken=False)
            return run_script(self._client, self._script, self._keys, self._args)
        except BaseException:
            self._release(broken=True)  # a reply may still be on its way: never reuse it
            raise
        self._release(broken=False)
        return reply

    def _release(self, broken: bool) -> None:
        if broken:
            self._connection.disconnect()
        self._client.connection_pool.release(self._connection)
