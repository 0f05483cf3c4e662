"""A real `modq serve` (API, scoring worker, learner, embedded Redis) on a loopback port, for
the Akismet clients nobody here wrote: `akismet` from PyPI and Debian's Net::Akismet.

Each test module gets its own modq (module scope), so that what a module counts (key-sites,
usage-limit) is only what its own client sent. Nothing here is autouse.
"""

from __future__ import annotations

import itertools
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.conftest import free_port
from tests.wordpress.harness import Process, http, modq_cli, spawn, wait_for

SITE = "news.example"
BLOG = "https://news.example"
#: A site of its own for the warm-up comment, so that it counts in no test's figures.
WARMUP_SITE = "warmup.example"

# What each test posts: its own body and author, since near-copies join one campaign (a
# decision on one decides the others) and an author's repeated body is a duplicate.
HAM = "Is this really true? I read elsewhere that the vote was postponed."
SPAM = (
    "CHECK OUT MY CHANNEL!!! Subscribe to my channel and win a free iPhone "
    "http://bit.ly/free-iphone click here now"
)
#: The model approves it; the site then reports it as spam (submit-spam).
REPORTED_SPAM = (
    "I was at the meeting last night and the mayor said the library will stay open on Sundays."
)
#: The model calls it spam; the site then reports it as ham (submit-ham).
REPORTED_HAM = (
    "FREE CRYPTO GIVEAWAY!!! Send 0.1 BTC and get 1 BTC back, visit http://btc-double.example today"
)
#: For the async client's one comment-check.
SPAM_ASYNC = (
    "Make $5000 a week working from home!!! Click http://cash.example/join now, "
    "limited offer, free bonus"
)

_AUTHORS = itertools.count(10)


@dataclass(frozen=True)
class Author:
    """A commenter of one test: a name, an e-mail and an IP no other test uses."""

    name: str
    email: str
    ip: str


def new_author() -> Author:
    n = next(_AUTHORS)
    return Author(f"Reader {n}", f"reader{n}@mail.example", f"203.0.113.{n}")


@dataclass
class Modq:
    """A running `modq serve`, the Akismet key of SITE and a moderator token to look."""

    url: str
    port: int
    env: dict[str, str]
    process: Process
    key: str = ""
    moderator: str = ""

    def cli(self, *args: str) -> str:
        return modq_cli(self.env, *args)

    def moderation(self, path: str, token: str = "", **params: str) -> Any:
        """GET /v1/moderation/<path> as SITE's moderator: the JSON answer."""
        answer = httpx.get(
            f"{self.url}/v1/moderation/{path}",
            params=params,
            headers={"Authorization": f"Bearer {token or self.moderator}"},
            timeout=10,
        )
        assert answer.status_code == 200, (answer.status_code, answer.text)
        return answer.json()

    def comment(self, guid: str) -> dict[str, Any]:
        return dict(self.moderation(f"comments/{guid}"))

    def learned_steps(self) -> int:
        return int(self.moderation("learning")["steps"])

    def wait_learned(self, more_than: int, timeout_s: float = 30) -> int:
        """The learner runs in the background: poll until it learned past `more_than`."""
        wait_for(
            f"the learner to pass {more_than} steps",
            lambda: self.learned_steps() > more_than,
            timeout_s,
            self.process,
        )
        return self.learned_steps()

    def wait_scored(self, guids: set[str], timeout_s: float = 30) -> None:
        """Until the worker has scored each of these comments (its counts are then in)."""
        wait_for(
            "the worker to score every comment",
            lambda: all(self.comment(guid)["scored_at"] for guid in guids),
            timeout_s,
            self.process,
        )

    def month(self) -> dict[str, Any]:
        """SITE's figures this month, as its moderators see them (GET /v1/moderation/stats)."""
        today = datetime.now(UTC).date()
        stats = self.moderation("stats", **{"from": f"{today:%Y-%m-01}", "to": f"{today}"})
        return dict(stats["total"])


def _env(tmp: Path, port: int) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODQ_")}
    env.pop("REDIS_URL", None)
    return {
        **env,
        "MODQ_DATA_DIR": str(tmp / "modq"),
        "MODQ_PORT": str(port),
        "MODQ_API_WORKERS": "1",
        "MODQ_RATE_LIMIT_PER_IP": "off",
        "MODQ_RATE_LIMIT_PER_SITE": "off",
        "MODQ_BLOCK_MS": "100",
    }


def _warm_up(modq: Modq) -> None:
    """`/readyz` answers before the scoring worker has loaded the model: wait until it
    scores a comment (of WARMUP_SITE), so that no test's comment-check runs out of time."""
    key = modq.cli("keys", "create", "--site", WARMUP_SITE, "--akismet")
    moderator = modq.cli("keys", "create", "--site", WARMUP_SITE, "--moderator", "warmup")
    answer = httpx.post(
        f"{modq.url}/1.1/comment-check",
        data={"api_key": key, "blog": "https://warmup.example", "user_ip": "198.51.100.1"},
        timeout=10,
    )
    guid = answer.headers["X-akismet-guid"]
    wait_for(
        "the scoring worker",
        lambda: modq.moderation(f"comments/{guid}", moderator)["scored_at"],
        90,
        modq.process,
    )


@pytest.fixture(scope="module")
def modq(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Modq]:
    tmp = tmp_path_factory.mktemp("akismet-modq")
    port = free_port()
    env = _env(tmp, port)
    process = spawn("modq", [sys.executable, "-m", "service", "serve"], tmp, env)
    running = Modq(f"http://127.0.0.1:{port}", port, env, process)
    try:
        wait_for("modq", lambda: http("GET", running.url + "/readyz")[0] == 200, 90, process)
        running.key = running.cli("keys", "create", "--site", SITE, "--akismet")
        running.moderator = running.cli("keys", "create", "--site", SITE, "--moderator", "mod")
        assert len(running.key) == 12, running.key
        _warm_up(running)
        yield running
    finally:
        process.stop()
