"""A Redis that can lose acknowledged writes is named by /readyz and refused for submissions."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from service.app import create_app
from service.settings import Settings
from service.storage import server as redis_server
from service.storage.connection import connect
from service.storage.durability import UNSAFE_TTL_S, Guard, inspect
from tests.conftest import Keys, free_port
from tests.factories import comment_body


@pytest.fixture(scope="module")
def careless_redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A redis-server as Debian ships it: no AOF, and evicting keys when full."""
    extra = {"appendonly": "no", "appendfsync": "everysec", "maxmemory-policy": "allkeys-lru"}
    server = redis_server.start(tmp_path_factory.mktemp("careless"), port=free_port(), extra=extra)
    yield server.url
    server.stop()


def _client(url: str, tmp_path: Path, **overrides: object) -> tuple[FlaskClient, Keys]:
    redis = connect(url)
    redis.flushall()
    settings = Settings.from_env({}, redis_url=url, data_dir=tmp_path, **overrides)
    return create_app(settings, redis).test_client(), Keys(redis)


def test_embedded_and_test_redis_are_durable(redis_server_url: str) -> None:
    assert inspect(connect(redis_server_url)).safe


def test_readyz_names_every_unsafe_setting(careless_redis_url: str, tmp_path: Path) -> None:
    client, _ = _client(careless_redis_url, tmp_path)

    response = client.get("/readyz")

    assert response.status_code == 503
    problems = " ".join(response.json["checks"]["durability"]["problems"])
    for setting in ("appendonly", "appendfsync", "maxmemory-policy"):
        assert setting in problems


def test_submissions_are_refused_rather_than_risked(
    careless_redis_url: str, tmp_path: Path
) -> None:
    client, keys = _client(careless_redis_url, tmp_path)

    response = client.post("/v1/comments", json=comment_body(), headers=keys.site("news"))

    assert response.status_code == 503
    assert "appendonly" in response.json["message"]
    assert response.headers["Retry-After"]


def test_accepting_data_loss_is_explicit_and_still_reported(
    careless_redis_url: str, tmp_path: Path
) -> None:
    client, keys = _client(careless_redis_url, tmp_path, accept_data_loss=True)

    submitted = client.post("/v1/comments", json=comment_body(), headers=keys.site("news"))
    ready = client.get("/readyz")

    assert submitted.status_code == 202
    assert ready.status_code == 200
    assert ready.json["checks"]["durability"]["accepted_data_loss"] is True
    assert ready.json["checks"]["durability"]["safe"] is False


def test_an_unsafe_finding_is_read_again_soon_a_safe_one_later(careless_redis_url: str) -> None:
    client = connect(careless_redis_url)
    now = [100.0]
    guard = Guard(client, accept_data_loss=False, ttl_s=5.0, clock=lambda: now[0])
    assert not guard.current().safe
    try:
        client.config_set("appendonly", "yes")
        client.config_set("appendfsync", "always")
        client.config_set("maxmemory-policy", "noeviction")
        now[0] += UNSAFE_TTL_S / 2
        assert not guard.current().safe  # still the kept finding
        now[0] += UNSAFE_TTL_S
        assert guard.current().safe  # fixed: writes resume without waiting ttl_s
        client.config_set("appendfsync", "everysec")
        now[0] += UNSAFE_TTL_S * 2
        assert guard.current().safe  # a safe finding is kept its full ttl_s
        now[0] += 5.0
        assert not guard.current().safe
    finally:
        client.config_set("appendonly", "no")
        client.config_set("appendfsync", "everysec")
        client.config_set("maxmemory-policy", "allkeys-lru")
