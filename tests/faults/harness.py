"""Processes the fault tests start and break: redis-server, the API, workers, a load generator."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis as redis_lib

from service.storage import keys as rkeys
from service.storage import server as redis_server
from service.storage.connection import connect
from tests.conftest import free_port
from tests.factories import part

#: The site every comment of the fault suite belongs to.
SITE = "news.example"


class ManagedRedis:
    """A redis-server on a free port that a test may kill -9 and start again on the same data."""

    def __init__(self, data_dir: Path, **extra: str) -> None:
        self.server = redis_server.start(data_dir, port=free_port(), extra=extra)
        self.url = self.server.url
        self.client = connect(self.url, timeout_s=5)

    def kill9(self) -> None:
        self.server.process.send_signal(signal.SIGKILL)
        self.server.process.wait()

    def start_again(self) -> None:
        redis_server.restart(self.server)

    def stop(self) -> None:
        self.server.stop()


@dataclass
class Proc:
    """A modq process (API or worker) the test owns and ends by its pid."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path

    def kill9(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill9()


@dataclass
class Cluster:
    """The processes of one fault test, all pointed at one ManagedRedis."""

    redis: ManagedRedis
    tmp: Path
    procs: list[Proc] = field(default_factory=list)
    port: int = 0

    def env(self, **overrides: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MODQ_")}
        env.update(
            REDIS_URL=self.redis.url, MODQ_BLOCK_MS="200", MODQ_DATA_DIR=str(self.tmp / "var")
        )
        # The load generator is a flood by design; the limits are tested on their own.
        env.update(MODQ_RATE_LIMIT_PER_IP="off", MODQ_RATE_LIMIT_PER_SITE="off")
        env.update(overrides)
        return env

    def spawn(self, name: str, args: list[str], **env: str) -> Proc:
        log = self.tmp / f"{name}.log"
        with open(log, "ab") as out:
            process = subprocess.Popen(
                [sys.executable, "-m", "service", *args],
                env=self.env(**env),
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        proc = Proc(name, process, log)
        self.procs.append(proc)
        return proc

    def start_api(self, workers: int = 2) -> Proc:
        self.port = free_port()
        proc = self.spawn("api", ["api"], MODQ_PORT=str(self.port), MODQ_API_WORKERS=str(workers))
        wait_until("the API answers", lambda: self.get("/healthz")[0] == 200, 60)
        return proc

    def start_worker(self, name: str = "w0", **env: str) -> Proc:
        return self.spawn(f"worker-{name}", ["worker", "--name", name], **env)

    def get(self, path: str, token: str = "") -> tuple[int, Any]:
        return request(self.port, "GET", path, token)

    def stop_all(self) -> None:
        for proc in reversed(self.procs):
            proc.stop()


def request(
    port: int, method: str, path: str, token: str = "", body: Any = None, timeout_s: float = 5.0
) -> tuple[int, Any]:
    """One HTTP request on a fresh connection; (0, error name) if it could not complete."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout_s)
    try:
        return _send(conn, method, path, token, body)
    except (OSError, http.client.HTTPException) as exc:
        return 0, type(exc).__name__
    finally:
        conn.close()


def _send(
    conn: http.client.HTTPConnection, method: str, path: str, token: str, body: Any
) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    conn.request(method, path, body=None if body is None else json.dumps(body), headers=headers)
    response = conn.getresponse()
    raw = response.read()
    payload = json.loads(raw) if raw else None
    if response.status == 503:
        payload = {"body": payload, "retry_after": response.getheader("Retry-After")}
    return response.status, payload


@dataclass
class LoadResult:
    """What a load run saw: ids that got 202, and every other status by count."""

    accepted: list[str] = field(default_factory=list)
    refused: dict[int, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, status: int, payload: Any) -> None:
        with self.lock:
            if status == 202:
                self.accepted.append(payload["id"])
            else:
                self.refused[status] = self.refused.get(status, 0) + 1


def post_comments(
    port: int,
    token: str,
    count: int,
    clients: int = 4,
    retry_until_accepted: bool = False,
    deadline_s: float = 120.0,
    on_progress: Callable[[int], None] | None = None,
) -> LoadResult:
    """Post `count` distinct comments from `clients` threads, bounded by `deadline_s`."""
    result = LoadResult()
    deadline = time.monotonic() + deadline_s
    counter = iter(range(count))
    counter_lock = threading.Lock()

    def client() -> None:
        while time.monotonic() < deadline:
            with counter_lock:
                n = next(counter, None)
            if n is None:
                return
            while time.monotonic() < deadline:
                status, payload = request(port, "POST", "/v1/comments", token, _comment(n))
                result.record(status, payload)
                if status == 202 or not retry_until_accepted:
                    break
                time.sleep(0.05)
            if on_progress is not None:
                on_progress(len(result.accepted))

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return result


def _comment(n: int) -> dict[str, Any]:
    bodies = [
        "Thanks for the report, the bus lanes really helped my commute.",
        "CHECK OUT my channel http://bit.ly/win{n} subscribe for free money!!!",
        "I am not sure the numbers add up, who paid for the stadium? ({n})",
    ]
    return {
        "thread": f"https://news.example/article/{n % 97}",
        "author": {"name": f"Reader {n}", "email": f"reader{n}@mail.example"},
        "body": bodies[n % len(bodies)].format(n=n) + f" #{n}",
        "ip": f"198.51.100.{n % 250}",
    }


def wait_until(what: str, check: Callable[[], Any], timeout_s: float) -> Any:
    """Poll `check` until it returns something truthy; fail after `timeout_s` saying what."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            value = check()
        except (redis_lib.RedisError, OSError):
            value = None
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout_s} s waiting for {what}")


def scored_ids(client: redis_lib.Redis, ids: list[str]) -> set[str]:
    """The ids among `ids` whose comment carries a verdict."""
    with client.pipeline(transaction=False) as pipe:
        for comment_id in ids:
            pipe.hexists(rkeys.comment(part(SITE), comment_id), "scored_at")
        flags = pipe.execute()
    return {comment_id for comment_id, flag in zip(ids, flags, strict=True) if flag}


def stored_comment_ids(client: redis_lib.Redis) -> set[str]:
    """Every comment id stored in Redis."""
    prefix = len(rkeys.comment(part(SITE), ""))
    return {
        key.decode()[prefix:]
        for key in client.scan_iter(match=rkeys.comment(part(SITE), "*"), count=1000)
    }
