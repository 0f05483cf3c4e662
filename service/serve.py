"""`modq serve`: the API, the scoring workers, the learners and the embedded Redis, supervised."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field

import redis

from service.settings import Settings
from service.storage import layout
from service.storage import server as redis_server
from service.storage.connection import connect, redis_url

log = logging.getLogger("modq.serve")

_POLL_S = 0.25
_STOP_TIMEOUT_S = 20.0
#: A child that exits within this long of starting is restarted after a growing pause ...
_QUICK_EXIT_S = 5.0
#: ... of this long the first time, doubled each time, and never longer than the cap.
_FIRST_BACKOFF_S = 0.5
_MAX_BACKOFF_S = 30.0


def _migrate_old_layout(settings: Settings) -> None:
    """Move data of the layout before partitions (an older modq's data dir), before any
    process starts: what `modq migrate` does."""
    client = connect(redis_url(settings), timeout_s=30)
    try:
        if layout.old_layout(client):
            moved = layout.migrate(client, settings.partitions or 1)
            log.info("event=serve.migrated keys=%d", sum(moved.keys.values()))
    except redis.RedisError as exc:  # the processes wait for Redis as they always do
        log.warning("event=serve.layout_unchecked error=%s", type(exc).__name__)
    finally:
        client.close()


def gunicorn_args(settings: Settings) -> list[str]:
    """The gunicorn command line that serves the API with these settings."""
    return [
        sys.executable, "-m", "gunicorn",
        "--bind", f"{settings.host}:{settings.port}",
        "--workers", str(settings.api_workers),
        "--threads", str(settings.api_threads),
        "--worker-class", "gthread",
        "--graceful-timeout", "10",
        "--no-control-socket",
        "service.wsgi:app",
    ]  # fmt: skip


def _loops(command: str, count: int) -> list[Child]:
    """`count` processes of `modq worker` or `modq learner`, each with a stable name."""
    args = [sys.executable, "-m", "service", command, "--name"]
    return [Child(f"{command}-{n}", [*args, f"{command}-{n}"]) for n in range(count)]


@dataclass
class Child:
    """A supervised process: how to start it, and its current incarnation."""

    name: str
    args: list[str]
    process: subprocess.Popen[bytes] | None = None
    started: float = 0.0
    failures: int = field(default=0)

    def spawn(self, env: dict[str, str]) -> None:
        # Own session: Ctrl-C reaches only the supervisor, which stops children in order.
        self.process = subprocess.Popen(self.args, env=env, start_new_session=True)
        self.started = time.monotonic()
        log.info("event=child.started name=%s pid=%d", self.name, self.process.pid)

    def exited(self) -> bool:
        return self.process is not None and self.process.poll() is not None

    def backoff_s(self) -> float:
        # A child that dies right after starting (bad model file, port taken) backs off.
        quick = time.monotonic() - self.started < _QUICK_EXIT_S
        self.failures = self.failures + 1 if quick else 0
        return min(_MAX_BACKOFF_S, _FIRST_BACKOFF_S * 2**self.failures) if quick else 0.0

    def terminate(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)

    def wait(self, deadline: float) -> None:
        if self.process is None:
            return
        try:
            self.process.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.warning("event=child.killed name=%s pid=%d", self.name, self.process.pid)
            self.process.kill()
            self.process.wait()


class Supervisor:
    """Starts the children, restarts any that dies, and stops them all in order."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._stopping = False
        self._children = [
            Child("api", gunicorn_args(settings)),
            *_loops("worker", settings.scoring_workers),
            *_loops("learner", settings.learning_workers),
            Child("sender", [sys.executable, "-m", "service", "sender"]),
        ]

    def stop(self, *_: object) -> None:
        self._stopping = True

    def run(self) -> int:
        """Run until SIGINT or SIGTERM; return the exit status."""
        signal.signal(signal.SIGINT, self.stop)
        signal.signal(signal.SIGTERM, self.stop)
        redis = None
        if self._settings.embedded_redis:
            url, redis = redis_server.ensure_embedded(self._settings)
            log.info("event=redis.embedded url=%s owned=%s", url, redis is not None)
        env = {**os.environ, "REDIS_URL": redis_url(self._settings)}
        _migrate_old_layout(self._settings)
        try:
            for child in self._children:
                child.spawn(env)
            log.info("event=serve.ready url=http://%s:%d", self._settings.host, self._settings.port)
            self._watch(env, redis)
        finally:
            self._stop_children()
            if redis is not None:
                redis.stop()
        return 0

    def _watch(self, env: dict[str, str], redis: redis_server.RedisServer | None) -> None:
        while not self._stopping:
            if redis is not None and redis.process.poll() is not None:
                log.error("event=redis.died code=%s", redis.process.returncode)
                redis_server.restart(redis)
            for child in self._children:
                if child.exited() and not self._stopping:
                    self._restart(child, env)
            time.sleep(_POLL_S)

    def _restart(self, child: Child, env: dict[str, str]) -> None:
        code = child.process.returncode if child.process else None
        delay = child.backoff_s()
        log.error("event=child.died name=%s code=%s restart_in_s=%.1f", child.name, code, delay)
        deadline = time.monotonic() + delay
        while time.monotonic() < deadline and not self._stopping:
            time.sleep(_POLL_S)
        if not self._stopping:
            child.spawn(env)

    def _stop_children(self) -> None:
        # The API first (no new comments), then workers and learners finish and ack.
        deadline = time.monotonic() + _STOP_TIMEOUT_S
        for group in (self._children[:1], self._children[1:]):
            for child in group:
                child.terminate()
            for child in group:
                child.wait(deadline)
        log.info("event=serve.stopped")
