"""The tests' fixtures pointed at a real Redis Cluster (tests/cluster/harness.py) instead of
the single redis-server: the same `settings`, `app`, `client`, `keys` and `drain`, with the
keys spread over partitions across three primaries."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
import redis as redis_lib

from service.settings import Settings
from service.storage import keys as rkeys
from service.storage.connection import connect
from tests.cluster.harness import Cluster

#: Partitions in the cluster tests: more than the shards, as a deployment would have.
PARTITIONS = 6


@pytest.fixture(scope="session")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """Six redis-servers on loopback, three primaries and three replicas, for the session."""
    running = Cluster(tmp_path_factory.mktemp("cluster")).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def redis_server_url(cluster: Cluster) -> str:
    return cluster.url


@pytest.fixture
def redis(cluster: Cluster) -> Iterator[redis_lib.Redis]:
    """A client of the cluster, every primary flushed before each test."""
    cluster.wait_ok()
    cluster.flush()
    rkeys.use_partitions(1)
    client = connect(cluster.url, timeout_s=5)
    yield client
    client.close()


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return dataclasses.replace(settings, partitions=PARTITIONS)
