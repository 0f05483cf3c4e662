"""Workers that die, crash between write and ack, or meet a poison comment lose nothing."""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from service import worker
from service.moderation.comments import Author, NewComment
from service.settings import Settings
from service.storage import keys as rkeys
from service.storage.comments import CommentStore
from service.storage.streams import Partitions
from tests.factories import CrashAtAck, FailingScorer, part, pending, scored_total, with_scorer
from tests.faults.conftest import SITE
from tests.faults.harness import Cluster, scored_ids, wait_until

RECLAIM_MS = 3000


def _add(
    store: CommentStore, n: int, text: str = "A comment about the city council #{n}"
) -> list[str]:
    author = Author(name="Reader", email="reader@mail.example")
    return [store.add(SITE, NewComment(author=author, body=text.format(n=i))).id for i in range(n)]


@pytest.fixture
def settings(cluster: Cluster, tmp_path: Path) -> Settings:
    return Settings.from_env({}, redis_url=cluster.redis.url, data_dir=tmp_path, block_ms=50)


def test_kill9_of_a_worker_holding_100_comments(cluster: Cluster) -> None:
    client = cluster.redis.client
    ids = _add(CommentStore(client), 100)
    stalled = subprocess.Popen(
        [sys.executable, "-m", "tests.faults.stalled_worker", "100"],
        env=cluster.env(),
        stdout=subprocess.PIPE,
    )
    try:
        assert stalled.stdout is not None and stalled.stdout.readline().strip() == b"holding 100"
        assert pending(client) == 100
        stalled.kill()
        stalled.wait()
        killed_at = time.monotonic()
    finally:
        if stalled.poll() is None:
            stalled.kill()
    cluster.start_worker(MODQ_RECLAIM_IDLE_MS=str(RECLAIM_MS))

    wait_until("100 verdicts", lambda: scored_ids(client, ids) == set(ids), RECLAIM_MS / 1000 + 10)
    elapsed = time.monotonic() - killed_at
    print(
        f"held=100 scored={len(scored_ids(client, ids))} seconds={elapsed:.1f} "
        f"pending={pending(client)}"
    )

    assert elapsed <= RECLAIM_MS / 1000 + 10
    wait_until("acks", lambda: pending(client) == 0, 10)
    assert scored_total(client, SITE) == 100


def test_fifty_crashes_between_write_and_ack_change_nothing(
    cluster: Cluster, settings: Settings
) -> None:
    client = cluster.redis.client
    store = CommentStore(client)
    texts = [
        "Nice piece on the budget #{n}",
        "FREE money click http://bit.ly/x{n} now!!!",
        "Hmm, who decided this? #{n}",
    ]
    survivor = worker.Worker.build(
        dataclasses.replace(settings, reclaim_idle_ms=1), client, name="survivor"
    )
    crashes = 0
    for round_ in range(50):
        [comment_id] = _add(store, 1, texts[round_ % 3].replace("{n}", str(round_)))
        doomed = worker.Worker(
            survivor.bench,
            Partitions(
                [CrashAtAck(client, part(SITE), f"doomed-{round_}", settings.reclaim_idle_ms)]
            ),
            worker.Batching.of(settings),
        )
        with pytest.raises(SystemExit):
            doomed.run(burst=True)
        crashes += 1
        written = client.hgetall(rkeys.comment(part(SITE), comment_id))
        counters = client.hgetall(rkeys.site_counters(SITE))
        queue = client.zrange(rkeys.review_queue(SITE), 0, -1)

        survivor.run(burst=True)

        assert client.hgetall(rkeys.comment(part(SITE), comment_id)) == written
        assert client.hgetall(rkeys.site_counters(SITE)) == counters
        assert client.zrange(rkeys.review_queue(SITE), 0, -1) == queue
    print(f"crashes={crashes} scored={scored_total(client, SITE)} pending={pending(client)}")
    assert scored_total(client, SITE) == 50
    assert pending(client) == 0


def test_poison_comment_goes_to_dead_letter_and_review_while_others_are_scored(
    cluster: Cluster, settings: Settings
) -> None:
    client = cluster.redis.client
    store = CommentStore(client)
    ids = _add(store, 500)
    [poison] = _add(store, 1, "POISON")
    ids += _add(store, 500, "Another ordinary comment #{n}")
    fast = dataclasses.replace(settings, reclaim_idle_ms=1, max_deliveries=3)
    w = worker.Worker.build(fast, client, name="w")
    with_scorer(w, FailingScorer(w.bench.model.scorer, "POISON"))

    for _ in range(100):
        w.run(burst=True)
        if client.xlen(rkeys.dead_letter_stream(part(SITE))):
            break
    dead = client.xrange(rkeys.dead_letter_stream(part(SITE)))
    print(
        f"posted=1001 scored={len(scored_ids(client, ids))} dead={len(dead)} "
        f"pending={pending(client)}"
    )

    assert scored_ids(client, ids) == set(ids)
    assert [entry[b"id"].decode() for _, entry in dead] == [poison]
    assert client.zscore(rkeys.review_queue(SITE), poison) is not None
    assert client.hget(rkeys.comment(part(SITE), poison), "status") == b"pending_review"
    assert pending(client) == 0


def test_sigterm_finishes_the_batch_in_hand_acks_and_exits(cluster: Cluster) -> None:
    client = cluster.redis.client
    ids = _add(CommentStore(client), 3000)
    proc = cluster.start_worker(MODQ_BATCH_SIZE="64")
    wait_until("the worker to start scoring", lambda: len(scored_ids(client, ids)) >= 64, 60)

    proc.process.send_signal(signal.SIGTERM)
    code = proc.process.wait(20)
    scored = len(scored_ids(client, ids))
    print(f"backlog=3000 scored_before_exit={scored} pending={pending(client)} code={code}")

    assert code == 0
    assert pending(client) == 0, "nothing delivered to it is left unacknowledged"
    assert scored_total(client, SITE) == scored
