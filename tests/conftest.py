"""Fixtures: a real redis-server on a free port, settings, the app, clients and keys."""

from __future__ import annotations

import dataclasses
import socket
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib
from flask import Flask
from flask.testing import FlaskClient

from service import learner, worker
from service.app import create_app
from service.moderation.access import KeyKind
from service.scoring.scorer import Scorer
from service.settings import DEFAULT_MODEL_PATH, Settings
from service.storage import keys as rkeys
from service.storage import server as redis_server_lib
from service.storage.apikeys import KeyStore
from service.storage.connection import connect

#: The operators' bearer token for /metrics in the tests' settings, and its header.
METRICS_TOKEN = "metrics-" + "0123456789abcdef" * 2
METRICS = {"Authorization": f"Bearer {METRICS_TOKEN}"}


def free_port() -> int:
    """Return a TCP port nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(autouse=True)
def _one_partition() -> None:
    """Each test starts with one partition, what a fresh Redis records (the cluster tests set
    more, and processes in the fault suites adopt what their Redis records)."""
    rkeys.use_partitions(1)


@pytest.fixture(scope="session")
def redis_server(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[redis_server_lib.RedisServer]:
    """Start one redis-server for the session, on a free port, with its data in a temp dir."""
    server = redis_server_lib.start(tmp_path_factory.mktemp("redis"), port=free_port())
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server_url(redis_server: redis_server_lib.RedisServer) -> str:
    return redis_server.url


@pytest.fixture
def redis(redis_server_url: str) -> Iterator[redis_lib.Redis]:
    """A client of the session's Redis, flushed before each test."""
    client = connect(redis_server_url, timeout_s=5)
    client.flushall()
    rkeys.use_partitions(1)  # what a flushed Redis gets; tests/test_slots.py uses more
    yield client
    client.close()


@pytest.fixture
def settings(redis_server_url: str, tmp_path: Path) -> Settings:
    """Settings pointing at the test Redis, with nothing read from the environment."""
    return Settings.from_env(
        {},
        redis_url=redis_server_url,
        data_dir=tmp_path / "var",
        block_ms=50,
        # Tests post many comments from one IP; tests/test_rate_limits.py turns limits on.
        rate_limit_per_ip=None,
        rate_limit_per_site=None,
        rate_limit_auth_failures=None,
        key_cache_seconds=0.0,  # revocations take effect at once; test_cli_keys checks the cache
        metrics_token=METRICS_TOKEN,
    )


@pytest.fixture(scope="session")
def scorer() -> Scorer:
    """The shipped model, loaded once: tests teach site models, never change the scorer."""
    return Scorer.load(DEFAULT_MODEL_PATH)


@pytest.fixture
def app(settings: Settings, redis: redis_lib.Redis) -> Iterator[Flask]:
    flask_app = create_app(settings, redis)
    flask_app.config["TESTING"] = True
    yield flask_app
    flask_app.extensions["modq"].waits.close()  # its listener thread, if a request waited


@pytest.fixture
def scoring(settings: Settings, redis: redis_lib.Redis) -> Iterator[None]:
    """A scoring worker running beside the test, as `modq serve` runs one."""
    running = worker.Worker.build(settings, redis, name="beside")
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    yield
    running.stop()
    thread.join(timeout=10)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


class Keys:
    """Creates keys in the test Redis and builds auth headers from them."""

    def __init__(self, client: redis_lib.Redis) -> None:
        self.store = KeyStore(client)

    def site(self, site: str) -> dict[str, str]:
        return self._headers(KeyKind.SITE, site, "")

    def moderator(self, site: str, name: str = "mod") -> dict[str, str]:
        return self._headers(KeyKind.MODERATOR, site, name)

    def _headers(self, kind: KeyKind, site: str, name: str) -> dict[str, str]:
        _, token = self.store.create(kind, site, name)
        return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def keys(redis: redis_lib.Redis) -> Keys:
    return Keys(redis)


@pytest.fixture
def drain(settings: Settings, redis: redis_lib.Redis) -> Callable[..., int]:
    """Learn every decision, then score until the intake stream is empty (the shipped model).

    Returns how many comments were scored.
    """

    def run(**overrides: Any) -> int:
        loop_settings = dataclasses.replace(settings, **overrides)
        learner.Learner.build(loop_settings, redis).run(burst=True)
        return worker.Worker.build(loop_settings, redis).run(burst=True)

    return run
