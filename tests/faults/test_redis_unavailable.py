"""Redis stopped or full: answers are 503 with Retry-After, fast, and modq recovers by itself."""

from __future__ import annotations

import signal
import time

from tests.faults.harness import Cluster, post_comments, request, stored_comment_ids, wait_until


def test_redis_down_gives_fast_503_and_recovery_needs_no_restart(
    cluster: Cluster, site_token: str
) -> None:
    api = cluster.start_api()
    before = post_comments(cluster.port, site_token, 20)
    cluster.redis.kill9()

    timings, statuses, retry_after = [], [], []
    for n in range(10):
        started = time.monotonic()
        status, payload = request(cluster.port, "POST", "/v1/comments", site_token, _body(n))
        timings.append(time.monotonic() - started)
        statuses.append(status)
        retry_after.append(payload["retry_after"] if status == 503 else None)
    ready_down = cluster.get("/readyz")[0]
    cluster.redis.start_again()
    restarted = time.monotonic()
    wait_until("/readyz green", lambda: cluster.get("/readyz")[0] == 200, 5)
    recovery = time.monotonic() - restarted
    after = post_comments(cluster.port, site_token, 20)
    print(
        f"accepted_before={len(before.accepted)} down_statuses={set(statuses)} "
        f"max_seconds={max(timings):.2f} ready_after={recovery:.1f}s "
        f"accepted_after={len(after.accepted)}"
    )

    assert statuses == [503] * 10
    assert all(int(value) > 0 for value in retry_after)
    assert max(timings) < 2.0
    assert ready_down == 503
    assert len(after.accepted) == 20
    assert api.process.poll() is None, "the same API process recovered"
    assert set(before.accepted) <= stored_comment_ids(cluster.redis.client)


def test_redis_at_its_memory_limit_refuses_with_503_and_keeps_what_it_has(
    cluster: Cluster, site_token: str
) -> None:
    cluster.start_api()
    client = cluster.redis.client
    before = post_comments(cluster.port, site_token, 200)
    used = int(client.info("memory")["used_memory"])
    client.config_set("maxmemory", str(used + 64 * 1024))

    flood = post_comments(cluster.port, site_token, 2000, clients=2)
    client.config_set("maxmemory", "0")
    stored = stored_comment_ids(client)
    print(
        f"accepted_before={len(before.accepted)} flood_accepted={len(flood.accepted)} "
        f"refused={flood.refused} found={len(stored)}"
    )

    assert flood.refused.get(503, 0) > 0, "writes past the limit were refused"
    assert set(flood.refused) == {503}
    assert set(before.accepted) | set(flood.accepted) <= stored


def _body(n: int) -> dict[str, object]:
    return {"author": {"name": "R", "email": "r@mail.example"}, "body": f"while down {n}"}


def test_frozen_redis_still_answers_503_within_two_seconds(
    cluster: Cluster, site_token: str
) -> None:
    cluster.start_api()
    cluster.redis.server.process.send_signal(signal.SIGSTOP)  # accepts connections, answers nothing
    try:
        started = time.monotonic()
        status, payload = request(cluster.port, "POST", "/v1/comments", site_token, _body(0))
        elapsed = time.monotonic() - started
    finally:
        cluster.redis.server.process.send_signal(signal.SIGCONT)
    print(f"status={status} seconds={elapsed:.2f}")

    assert status == 503 and int(payload["retry_after"]) > 0
    assert elapsed < 2.0
    wait_until("/readyz green", lambda: cluster.get("/readyz")[0] == 200, 5)
