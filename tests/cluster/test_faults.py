"""Faults on a real Redis Cluster, with real modq processes: a primary killed, a worker
killed, a manual failover, a primary without a replica. Each test prints what it counted
(posted, acknowledged, found, scored)."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis as redis_lib

from service.app import create_app
from service.loop import consumer_name
from service.moderation.access import KeyKind
from service.settings import Settings
from service.storage import keys as rkeys
from service.storage.apikeys import KeyStore
from service.storage.connection import connect
from tests.cluster.conftest import PARTITIONS
from tests.cluster.harness import Cluster
from tests.factories import comment_body
from tests.faults.harness import Cluster as Processes
from tests.faults.harness import LoadResult, post_comments, request, wait_until

SITE = "news.example"
#: Sites spread over the partitions (and so over the three primaries).
SITES = [f"site{n}.example" for n in range(12)]


@dataclasses.dataclass(frozen=True)
class _At:
    url: str


@pytest.fixture
def modq(cluster: Cluster, tmp_path: Path) -> Iterator[Processes]:
    """modq's API and workers as processes, pointed at the (flushed) session cluster."""
    cluster.wait_ok()
    cluster.flush()
    procs = Processes(_At(cluster.url), tmp_path)  # type: ignore[arg-type]
    procs.env = _with(procs.env, MODQ_PARTITIONS=str(PARTITIONS))  # type: ignore[method-assign]
    try:
        yield procs
    finally:
        procs.stop_all()
        for server in cluster.servers.values():  # a test that killed a node gets it back
            if server.process.poll() is not None:
                from service.storage import server as redis_server

                redis_server.restart(server)
        cluster.wait_ok()


def _with(env: Any, **extra: str) -> Any:
    def patched(**overrides: str) -> dict[str, str]:
        return env(**{**extra, **overrides})

    return patched


def _client(cluster: Cluster) -> redis_lib.Redis:
    client = connect(cluster.url, timeout_s=5)
    rkeys.use_partitions(PARTITIONS)
    return client


def _site_key(cluster: Cluster, site: str = SITE) -> str:
    return KeyStore(_client(cluster)).create(KeyKind.SITE, site)[1]


def _found_and_scored(client: redis_lib.Redis, site: str, ids: list[str]) -> tuple[int, int]:
    part = rkeys.partition(site)
    found = scored = 0
    for comment_id in ids:
        stored = client.hmget(rkeys.comment(part, comment_id), "site", "scored_at")
        found += stored[0] is not None
        scored += stored[1] is not None
    return found, scored


def _verdicts(client: redis_lib.Redis, site: str) -> int:
    counters = client.hgetall(rkeys.site_counters(site))
    return sum(int(v) for k, v in counters.items() if k.startswith(b"scored_"))


def _stored(client: redis_lib.Redis, site: str) -> int:
    pattern = rkeys.comment(rkeys.partition(site), "*")
    return sum(1 for _ in client.scan_iter(match=pattern, count=1000))


def _post_in_background(
    port: int, token: str, count: int, deadline_s: float
) -> tuple[threading.Thread, LoadResult]:
    box: list[LoadResult] = []

    def run() -> None:
        box.append(
            post_comments(
                port, token, count, clients=4, deadline_s=deadline_s, retry_until_accepted=False
            )
        )

    thread = threading.Thread(target=run)
    thread.start()
    return thread, box  # type: ignore[return-value]


def _settle(client: redis_lib.Redis, site: str, ids: list[str], procs: Processes) -> None:
    """Wait until every comment of `ids` is scored; say how far it got if not."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found, scored = _found_and_scored(client, site, ids)
        if scored == len(ids):
            return
        time.sleep(0.5)
    logs = "\n".join(p.log.read_text()[-1500:] for p in procs.procs)
    raise AssertionError(f"of {len(ids)} acknowledged: found={found} scored={scored}\n{logs}")


def _every_acknowledged_scored(
    client: redis_lib.Redis, result: LoadResult, procs: Processes
) -> None:
    """Every 202 is stored and scored, and the clients saw nothing but 202 and 503; print
    the counts."""
    accepted = result.accepted
    _settle(client, SITE, accepted, procs)
    found, scored = _found_and_scored(client, SITE, accepted)
    print(
        f"posted={len(accepted) + sum(result.refused.values())} acknowledged={len(accepted)} "
        f"refused={result.refused} found={found} scored={scored} "
        f"stored={_stored(client, SITE)} verdicts={_verdicts(client, SITE)}"
    )
    assert set(result.refused) <= {503}, result.refused
    assert len(accepted) > 100 and found == scored == len(accepted)


def _primary_of(cluster: Cluster, site: str) -> int:
    client = _client(cluster)
    node = client.get_node_from_key(rkeys.intake_stream(rkeys.partition(site)))
    return int(node.port)


def test_a_primary_killed_under_load_loses_nothing_acknowledged(
    cluster: Cluster, modq: Processes
) -> None:
    token = _site_key(cluster)
    modq.start_api(workers=2)
    modq.start_worker("w0")
    victim = _primary_of(cluster, SITE)
    thread, box = _post_in_background(modq.port, token, 8000, deadline_s=30)
    time.sleep(3)

    cluster.servers[victim].process.kill()  # kill -9
    cluster.servers[victim].process.wait()
    wait_until(
        "a replica to take over",
        lambda: victim not in cluster.primaries() and len(cluster.primaries()) == 3,
        30,
    )
    time.sleep(2)
    from service.storage import server as redis_server

    redis_server.restart(cluster.servers[victim])  # it comes back as a replica
    cluster.wait_ok()
    thread.join()
    [result] = box  # type: ignore[misc]

    client = _client(cluster)
    _every_acknowledged_scored(client, result, modq)
    assert result.refused, "the failover window was seen (503s)"
    wait_until(
        "a verdict for every stored comment",
        lambda: _verdicts(client, SITE) == _stored(client, SITE),
        60,
    )
    assert _verdicts(client, SITE) == _stored(client, SITE)  # each scored exactly once


def test_a_worker_killed_with_entries_in_several_partitions_loses_none(
    cluster: Cluster, modq: Processes
) -> None:
    tokens = {site: _site_key(cluster, site) for site in SITES}
    modq.start_api(workers=1)
    ids: dict[str, list[str]] = {site: [] for site in SITES}
    for n in range(100):
        for site, token in tokens.items():
            status, body = request(
                modq.port,
                "POST",
                "/v1/comments",
                token,
                comment_body(f"Comment {n} about the harbour at {site}, thanks"),
            )
            assert status == 202, body
            ids[site].append(body["id"])
    client = _client(cluster)
    doomed = modq.start_worker("doomed", MODQ_BATCH_SIZE="8", MODQ_RECLAIM_IDLE_MS="1000")

    def holding() -> int:
        held = 0
        for part in rkeys.partitions():
            stream = rkeys.intake_stream(part)
            try:
                pending = client.xpending_range(
                    stream, rkeys.SCORERS_GROUP, "-", "+", 1000, consumer_name("doomed")
                )
            except redis_lib.ResponseError:  # no group there yet
                continue
            held += bool(pending)
        return held

    # It reads one partition's batch at a time, and acknowledges a batch with its next read of
    # that partition: between the two it holds entries in several partitions.
    deadline, partitions_held = time.monotonic() + 60, 0
    while partitions_held < 2 and time.monotonic() < deadline:
        partitions_held = holding()
    doomed.kill9()
    assert partitions_held >= 2, "the worker never held entries in two partitions at once"
    modq.start_worker("survivor", MODQ_RECLAIM_IDLE_MS="1000")

    total = sum(len(v) for v in ids.values())
    wait_until(
        "every comment scored",
        lambda: sum(_found_and_scored(client, s, i)[1] for s, i in ids.items()) == total,
        90,
    )
    verdicts = sum(_verdicts(client, site) for site in SITES)
    print(
        f"posted={total} acknowledged={total} killed_holding_partitions={partitions_held} "
        f"scored={total} verdicts={verdicts}"
    )
    assert verdicts == total  # each once: the survivor's reclaimed ones were not scored twice


def test_a_manual_failover_under_load_loses_nothing_acknowledged(
    cluster: Cluster, modq: Processes
) -> None:
    token = _site_key(cluster)
    modq.start_api(workers=2)
    modq.start_worker("w0")
    primary = _primary_of(cluster, SITE)
    replica = cluster.replica_of(primary)
    assert replica is not None
    thread, box = _post_in_background(modq.port, token, 6000, deadline_s=20)
    time.sleep(2)

    cluster.node(replica).execute_command("CLUSTER", "FAILOVER")
    wait_until("the replica to be primary", lambda: replica in cluster.primaries(), 30)
    cluster.wait_ok()
    thread.join()
    [result] = box  # type: ignore[misc]

    _every_acknowledged_scored(_client(cluster), result, modq)


@pytest.fixture
def unreplicated(tmp_path: Path) -> Iterator[Cluster]:
    """Three primaries and no replica."""
    running = Cluster(tmp_path / "bare").start(nodes=3, replicas=0)
    try:
        yield running
    finally:
        running.stop()


def test_a_primary_without_a_replica_is_named_and_refuses_writes(
    unreplicated: Cluster, settings: Settings
) -> None:
    client = connect(unreplicated.url, timeout_s=5)
    on_it = dataclasses.replace(settings, redis_url=unreplicated.url)
    key = KeyStore(client).create(KeyKind.SITE, SITE)[1]
    headers = {"Authorization": f"Bearer {key}"}
    refusing = create_app(on_it, client).test_client()
    accepting = create_app(dataclasses.replace(on_it, accept_data_loss=True), client).test_client()

    ready = refusing.get("/readyz")
    posted = refusing.post("/v1/comments", json=comment_body(), headers=headers)
    accepted = accepting.post("/v1/comments", json=comment_body(), headers=headers)

    problems = ready.json["checks"]["durability"]["problems"]
    print(
        f"readyz={ready.status_code} problems={problems} post={posted.status_code} "
        f"accepted={accepted.status_code}"
    )
    assert ready.status_code == 503
    assert sorted(p.split(": ")[0] for p in problems) == sorted(
        f"127.0.0.1:{p}" for p in unreplicated.servers
    )
    assert all(p.endswith("a primary without a replica online") for p in problems)
    assert posted.status_code == 503 and "replica" in posted.json["message"]
    assert accepted.status_code == 202  # the operator accepted the risk
