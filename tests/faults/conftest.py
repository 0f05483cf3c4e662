"""Fixtures of the fault suite: each test gets its own Redis and ends its processes by pid."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from service.moderation.access import KeyKind
from service.storage.apikeys import KeyStore
from tests.faults.harness import SITE, Cluster, ManagedRedis

__all__ = ["SITE"]


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    managed = ManagedRedis(tmp_path / "redis")
    instance = Cluster(managed, tmp_path)
    yield instance
    instance.stop_all()
    managed.stop()


@pytest.fixture
def site_token(cluster: Cluster) -> str:
    _, token = KeyStore(cluster.redis.client).create(KeyKind.SITE, SITE)
    return token
