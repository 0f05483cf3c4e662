"""The scoring worker: stream in, verdicts out, at least once and never twice."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable, Sequence

import pytest
import redis as redis_lib
from flask.testing import FlaskClient

from service import worker
from service.moderation.errors import StorageUnavailableError
from service.settings import Settings
from service.storage import keys as rkeys
from service.storage.streams import IntakeStream, Partitions
from service.storage.verdicts import Outcome
from tests.conftest import Keys
from tests.factories import (
    HAM,
    SPAM,
    CrashAtAck,
    FailingScorer,
    comment_body,
    part,
    pending,
    scored_total,
    with_scorer,
)


def _post(client: FlaskClient, headers: dict[str, str], bodies: Sequence[str]) -> list[str]:
    ids = []
    for body in bodies:
        response = client.post("/v1/comments", json=comment_body(body), headers=headers)
        assert response.status_code == 202
        ids.append(response.json["id"])
    return ids


def test_submitted_comments_get_verdicts_with_reasons(
    client: FlaskClient,
    keys: Keys,
    drain: Callable[..., int],
    settings: Settings,
    redis: redis_lib.Redis,
) -> None:
    site = keys.site("news")
    ham_id, spam_id = _post(client, site, [HAM, SPAM])

    assert drain() == 2

    ham = client.get(f"/v1/comments/{ham_id}", headers=site).json
    spam = client.get(f"/v1/comments/{spam_id}", headers=site).json
    assert spam["score"] > ham["score"]
    thresholds = worker.Worker.build(settings, redis).bench.model.thresholds  # the model card's
    for result in (ham, spam):
        assert result["status"] == thresholds.status_for(result["score"]).value
        assert result["decided_by"] == "model" and result["scored_at"]
    assert spam["status"] in {"spam", "pending_review"}
    assert spam["reasons"], "a spam verdict says why"


def test_two_workers_side_by_side_score_each_comment_once(
    client: FlaskClient, keys: Keys, settings: Settings, redis: redis_lib.Redis
) -> None:
    ids = _post(
        client, keys.site("news"), [f"comment number {n} about the news" for n in range(120)]
    )
    workers = [worker.Worker.build(settings, redis) for _ in range(2)]
    for n, w in enumerate(workers):
        # One consumer group, two consumers.
        w.streams = Partitions(
            [IntakeStream(redis, part("news"), f"test-{n}", settings.reclaim_idle_ms)]
        )
    threads = [threading.Thread(target=w.run, kwargs={"burst": True}) for w in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert scored_total(redis, "news") == len(ids)
    assert all(redis.hexists(rkeys.comment(part("news"), i), "scored_at") for i in ids)
    assert pending(redis) == 0
    assert redis.xlen(rkeys.intake_stream(part("news"))) == 0


def test_worker_killed_before_ack_loses_nothing_and_doubles_nothing(
    client: FlaskClient, keys: Keys, settings: Settings, redis: redis_lib.Redis
) -> None:
    ids = _post(client, keys.site("news"), [HAM, SPAM, "Good point about the buses."] * 10)
    doomed = worker.Worker.build(settings, redis)
    doomed.streams = Partitions(
        [CrashAtAck(redis, part("news"), "doomed", settings.reclaim_idle_ms)]
    )
    with pytest.raises(SystemExit):
        doomed.run(burst=True)
    written = {i: redis.hgetall(rkeys.comment(part("news"), i)) for i in ids}
    assert pending(redis) == len(ids), "delivered but unacknowledged"

    # The dead worker's entries are stale at once for a survivor with a 1 ms reclaim timeout.
    survivor = worker.Worker.build(dataclasses.replace(settings, reclaim_idle_ms=1), redis)
    survivor.run(burst=True)

    assert pending(redis) == 0
    assert scored_total(redis, "news") == len(ids)
    assert {i: redis.hgetall(rkeys.comment(part("news"), i)) for i in ids} == written
    queued = redis.zrange(rkeys.review_queue("news"), 0, -1)
    assert len(queued) == len(set(queued))


def test_a_comment_that_cannot_be_scored_is_retried_then_held_for_review(
    client: FlaskClient, keys: Keys, settings: Settings, redis: redis_lib.Redis
) -> None:
    site = keys.site("news")
    good_id, poison_id = _post(client, site, [HAM, "poison pill"])
    fast_retry = dataclasses.replace(settings, reclaim_idle_ms=1, max_deliveries=3)
    w = worker.Worker.build(fast_retry, redis)
    with_scorer(w, FailingScorer(w.bench.model.scorer, "poison"))

    w.run(burst=True, max_items=2)  # the first delivery of both
    after_first = client.get(f"/v1/comments/{poison_id}", headers=site).json
    for _ in range(50):
        if redis.xlen(rkeys.dead_letter_stream(part("news"))):
            break
        w.run(burst=True)

    assert after_first["status"] == "queued", "a failure is retried, not judged at once"
    poison = client.get(f"/v1/comments/{poison_id}", headers=site).json
    assert poison["status"] == "pending_review"
    assert poison["reasons"] == [worker.UNSCORABLE_REASON]
    [(_, dead)] = redis.xrange(rkeys.dead_letter_stream(part("news")))
    assert dead[b"id"].decode() == poison_id and int(dead[b"deliveries"]) == 4
    assert client.get(f"/v1/comments/{good_id}", headers=site).json["score"] is not None
    assert redis.zscore(rkeys.review_queue("news"), poison_id) is not None
    assert pending(redis) == 0


def test_stop_finishes_and_returns(settings: Settings, redis: redis_lib.Redis) -> None:
    w = worker.Worker.build(settings, redis)
    thread = threading.Thread(target=w.run)
    thread.start()
    w.stop()
    thread.join(10)

    assert not thread.is_alive()


def test_a_failed_verdict_write_leaves_its_batch_pending_until_written(
    client: FlaskClient,
    keys: Keys,
    settings: Settings,
    redis: redis_lib.Redis,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    site = keys.site("news")
    ids = _post(client, site, [HAM, SPAM, "a third comment"])
    w = worker.Worker.build(dataclasses.replace(settings, reclaim_idle_ms=1), redis)
    write = w.bench.comments.apply_verdicts
    calls: list[int] = []

    def fails_first(outcomes: Sequence[Outcome]) -> list[int]:
        calls.append(len(outcomes))
        if len(calls) == 1:
            raise StorageUnavailableError("Redis went away mid-write")
        return write(outcomes)

    monkeypatch.setattr(w.bench.comments, "apply_verdicts", fails_first)
    w.run(burst=True)

    assert calls[0] == 3 and len(calls) >= 2, "the same comments were written again"
    assert all(client.get(f"/v1/comments/{i}", headers=site).json["score"] is not None for i in ids)
    assert scored_total(redis, "news") == 3
    assert pending(redis) == 0
    assert redis.xlen(rkeys.dead_letter_stream(part("news"))) == 0
