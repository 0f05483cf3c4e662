"""Redis killed or restarted under load: nothing acknowledged is lost, nothing scored twice."""

from __future__ import annotations

import threading
import time

from tests.factories import pending, scored_total
from tests.faults.conftest import SITE
from tests.faults.harness import (
    Cluster,
    post_comments,
    scored_ids,
    stored_comment_ids,
    wait_until,
)


def test_kill9_redis_during_load_keeps_every_acknowledged_comment(
    cluster: Cluster, site_token: str
) -> None:
    cluster.start_api()
    cluster.start_worker()
    killed = threading.Event()

    def kill_midway(accepted: int) -> None:
        if accepted >= 600 and not killed.is_set():
            killed.set()
            cluster.redis.kill9()
            time.sleep(0.5)
            cluster.redis.start_again()

    load = post_comments(cluster.port, site_token, 2000, clients=4, on_progress=kill_midway)
    client = cluster.redis.client
    accepted = set(load.accepted)
    wait_until(
        "every accepted comment scored", lambda: scored_ids(client, load.accepted) == accepted, 120
    )
    wait_until("no pending deliveries", lambda: pending(client) == 0, 60)
    stored = stored_comment_ids(client)
    print(
        f"posted=2000 acknowledged={len(accepted)} refused={load.refused} "
        f"found={len(stored & accepted)} stored={len(stored)} scored={scored_total(client, SITE)}"
    )

    assert killed.is_set(), "redis was killed during the load"
    assert len(accepted) == len(load.accepted), "no id acknowledged twice"
    assert accepted <= stored, "every acknowledged comment survived kill -9"
    assert scored_total(client, SITE) == len(stored), "each stored comment scored exactly once"


def test_backlog_survives_three_restarts_with_no_worker(cluster: Cluster, site_token: str) -> None:
    cluster.start_api()
    accepted: list[str] = []
    for phase in range(4):
        load = post_comments(cluster.port, site_token, 2500, clients=4, retry_until_accepted=True)
        accepted += load.accepted
        if phase < 3:
            cluster.redis.kill9()
            cluster.redis.start_again()
    client = cluster.redis.client
    cluster.start_worker()
    wait_until("10,000 verdicts", lambda: scored_total(client, SITE) >= len(accepted), 180)
    stored = stored_comment_ids(client)
    print(
        f"posted=10000 acknowledged={len(accepted)} distinct={len(set(accepted))} "
        f"found={len(stored)} scored={scored_total(client, SITE)}"
    )

    assert len(accepted) == 10_000 and len(set(accepted)) == 10_000
    assert stored == set(accepted)
    assert scored_ids(client, accepted) == set(accepted)
    assert scored_total(client, SITE) == 10_000
