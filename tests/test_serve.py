"""`modq serve` end to end: embedded Redis, the API, a worker, a learner; Ctrl-C stops all."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from service.storage import server as redis_server
from tests.conftest import free_port
from tests.factories import SPAM, comment_body


class Served:
    """A running `modq serve` and helpers to talk to it."""

    def __init__(self, tmp_path: Path) -> None:
        self.port = free_port()
        self.data_dir = tmp_path / "var"
        self.env = {
            k: v for k, v in os.environ.items() if k != "REDIS_URL" and not k.startswith("MODQ_")
        }
        self.env.update(
            MODQ_DATA_DIR=str(self.data_dir),
            MODQ_PORT=str(self.port),
            MODQ_API_WORKERS="1",
            MODQ_BLOCK_MS="100",
        )
        self.log = tmp_path / "serve.log"
        with open(self.log, "wb") as out:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "service", "serve", "--scoring-workers", "1"],
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def modq(self, *args: str) -> str:
        done = subprocess.run(
            [sys.executable, "-m", "service", *args], env=self.env, capture_output=True, timeout=60
        )
        assert done.returncode == 0, done.stderr.decode()
        return done.stdout.decode().strip()

    def request(self, method: str, path: str, token: str = "", body: Any = None) -> tuple[int, Any]:
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(
            f"http://127.0.0.1:{self.port}{path}", data=data, method=method
        )
        req.add_header("Content-Type", "application/json")
        if token:
            req.add_header("Authorization", f"Bearer {token}")
        try:
            with urllib.request.urlopen(req, timeout=5) as response:
                return response.status, json.load(response)
        except urllib.error.HTTPError as error:
            return error.code, json.load(error)

    def wait_for(self, what: str, check: Any, timeout_s: float = 60) -> Any:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                result = check()
            except (OSError, urllib.error.URLError):
                result = None
            if result:
                return result
            time.sleep(0.2)
        pytest.fail(f"timed out waiting for {what}\n{self.log.read_text()[-3000:]}")

    def child_pids(self, name: str) -> list[int]:
        pattern = rf"event=child.started name={name} pid=(\d+)"
        return [int(pid) for pid in re.findall(pattern, self.log.read_text())]


@pytest.fixture
def served(tmp_path: Path) -> Iterator[Served]:
    instance = Served(tmp_path)
    yield instance
    if instance.process.poll() is None:
        instance.process.send_signal(signal.SIGTERM)  # the supervisor stops its children
        try:
            instance.process.wait(30)
        except subprocess.TimeoutExpired:
            instance.process.kill()
            instance.process.wait()


def test_serve_runs_the_whole_path_and_stops_on_ctrl_c(served: Served) -> None:
    served.wait_for("the API", lambda: served.request("GET", "/readyz")[0] == 200)
    site = served.modq("keys", "create", "--site", "news.example")
    moderator = served.modq("keys", "create", "--site", "news.example", "--moderator", "leyla")

    code, accepted = served.request("POST", "/v1/comments", site, comment_body(SPAM))
    assert code == 202

    def verdict() -> Any:
        status = served.request("GET", f"/v1/comments/{accepted['id']}", site)[1]
        return status if status["status"] != "queued" else None

    result = served.wait_for("a verdict", verdict)
    assert result["score"] is not None and result["reasons"]
    queue = served.request("GET", "/v1/moderation/queue", moderator)
    assert queue[0] == 200
    # A moderator's decision reaches the learner, a process of its own.
    decision = {"decision": "approve" if result["status"] == "spam" else "spam"}
    url = f"/v1/moderation/comments/{accepted['id']}/decision"
    assert served.request("POST", url, moderator, decision)[0] == 200
    learned = served.wait_for(
        "the learner",
        lambda: served.request("GET", "/v1/moderation/learning", moderator)[1]["steps"],
    )
    assert learned == 1 and served.child_pids("learner-0")

    served.process.send_signal(signal.SIGINT)
    assert served.process.wait(30) == 0
    socket_url = f"unix://{(served.data_dir / 'redis.sock').resolve()}"
    assert not redis_server.answers(socket_url), "the embedded Redis stopped too"
    redis_dir = served.data_dir / "redis"
    assert (redis_dir / "appendonly.aof").exists() or (redis_dir / "appendonlydir").exists()


def test_serve_restarts_a_worker_that_dies(served: Served) -> None:
    served.wait_for("the API", lambda: served.request("GET", "/readyz")[0] == 200)
    [first] = served.wait_for("a worker", lambda: served.child_pids("worker-0"))
    site = served.modq("keys", "create", "--site", "news.example")

    os.kill(first, signal.SIGKILL)
    pids = served.wait_for(
        "a new worker",
        lambda: len(served.child_pids("worker-0")) == 2 and served.child_pids("worker-0"),
    )
    code, accepted = served.request("POST", "/v1/comments", site, comment_body())
    scored = served.wait_for(
        "a verdict from the new worker",
        lambda: served.request("GET", f"/v1/comments/{accepted['id']}", site)[1]["scored_at"],
    )

    assert pids[1] != first and code == 202 and scored
