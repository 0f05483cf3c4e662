"""Redis clients with bounded timeouts, so a dead Redis fails requests fast instead of hanging."""

from __future__ import annotations

import functools
import hashlib
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, ParamSpec, TypeVar, cast

import redis
from redis.backoff import ExponentialBackoff
from redis.cluster import RedisCluster
from redis.commands.core import Script
from redis.retry import Retry

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


#: The URL scheme that names any node of a Redis Cluster (`redis+cluster://host:port`).
CLUSTER_SCHEME = "redis+cluster://"


def connect(url: str, *, timeout_s: float = 1.5) -> redis.Redis:
    """Return a client whose every call gives up after `timeout_s`: of a Redis Cluster for a
    `redis+cluster://` URL (any node), else of one Redis."""
    options: dict[str, Any] = {
        "socket_timeout": timeout_s,
        "socket_connect_timeout": timeout_s,
        "health_check_interval": 15,
    }
    if url.startswith(CLUSTER_SCHEME):
        cluster = RedisCluster.from_url(
            "redis://" + url.removeprefix(CLUSTER_SCHEME),
            **options,
            # A failover takes the cluster a few seconds: retry within them, then fail (503).
            retry=Retry(ExponentialBackoff(cap=1.0, base=0.1), retries=3),
        )
        return cast(redis.Redis, cluster)
    return redis.Redis.from_url(url, **options, retry_on_timeout=False)


def is_cluster(client: redis.Redis) -> bool:
    """Whether `client` talks to a Redis Cluster."""
    return isinstance(client, RedisCluster)


def every_node(client: redis.Redis) -> list[tuple[str, redis.Redis]]:
    """(name, client) of each node: the primaries and replicas of a cluster, or the one Redis."""
    if not isinstance(client, RedisCluster):
        return [("redis", client)]
    nodes = client.get_nodes()
    return [(node.name, cast(redis.Redis, client.get_redis_connection(node))) for node in nodes]


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


class NotReplicated(redis.RedisError):  # type: ignore[misc]
    """No replica acknowledged a write in time: a failover now could lose it."""


def run_script_replicated(
    client: redis.Redis, script: Script, keys: Sequence[str], args: Sequence[str], wait_ms: int
) -> Any:
    """`run_script`, and on a cluster also `WAIT 1` on the same connection of the primary
    that ran it: the reply comes once a replica has the write too, else NotReplicated.
    Replication is asynchronous, so without it a primary that dies right after answering
    takes the write with it (docs/scaling.md: what this buys, and what it cannot)."""
    if not isinstance(client, RedisCluster) or wait_ms <= 0:
        return run_script(client, script, keys, args)
    for attempt in range(2):
        node = client.get_node_from_key(keys[0])
        primary = cast(redis.Redis, client.get_redis_connection(node))
        try:
            with primary.pipeline(transaction=False) as pipe:
                pipe.execute_command("EVALSHA", script.sha, len(keys), *keys, *args)
                pipe.execute_command("WAIT", 1, wait_ms)
                reply, replicas = pipe.execute()
        except redis.exceptions.NoScriptError:
            primary.script_load(script.script)
            continue
        except redis.ResponseError as exc:
            if attempt or not str(exc).startswith(("MOVED", "ASK")):
                raise
            client.nodes_manager.initialize()  # a failover moved the slot: look again
            continue
        if int(replicas) < 1:
            raise NotReplicated(f"no replica of {node.name} acknowledged within {wait_ms} ms")
        return reply
    raise NotReplicated("the write could not be placed on its primary")


class Sent:
    """A script call sent to Redis, its reply read later: the caller works while Redis runs
    it (the worker scores a batch while Redis records it for the rules). On a cluster it is
    run at once (its client has no one pool to borrow a connection from)."""

    def __init__(
        self, client: redis.Redis, script: Script, keys: Sequence[str], args: Sequence[str]
    ) -> None:
        self._client, self._script, self._keys, self._args = client, script, keys, args
        self._done: list[Any] = []
        if is_cluster(client):
            self._done.append(run_script(client, script, keys, args))
            return
        self._connection = client.connection_pool.get_connection()
        try:
            self._connection.send_command("EVALSHA", script.sha, len(keys), *keys, *args)
        except BaseException:
            self._release(broken=True)
            raise

    def result(self) -> Any:
        """The script's reply (run again by `run_script` if Redis had lost the script)."""
        if self._done:
            return self._done[0]
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
