"""`Prefer: wait=N` on POST /v1/comments: the scored comment while the request is open."""

from __future__ import annotations

import threading

import pytest
import redis as redis_lib
from flask.testing import FlaskClient

from service.api.comments import MAX_WAIT_S, prefer_wait
from service.storage import keys as rkeys
from service.storage.waits import VerdictWaits
from tests.conftest import Keys
from tests.factories import comment_body, part


@pytest.mark.usefixtures("scoring")
def test_a_comment_posted_with_prefer_wait_comes_back_scored(
    client: FlaskClient, keys: Keys
) -> None:
    payload = comment_body("Thanks, the part about the budget was clear.")
    response = client.post(
        "/v1/comments", json=payload, headers={**keys.site("news"), "Prefer": "wait=5"}
    )

    assert response.status_code == 200, response.json
    assert response.headers["Preference-Applied"] == "wait=5"
    body = response.json
    assert body["status"] in {"approved", "pending_review", "spam"}
    assert body["scored_at"] is not None and body["decided_by"] == "model"
    assert payload["author"]["email"] not in response.get_data(as_text=True)
    # the same comment, as the site reads it later
    again = client.get(f"/v1/comments/{body['id']}", headers=keys.site("news")).json
    assert again == body


@pytest.mark.parametrize("prefer", [None, "wait=1", "wait=abc", "respond-async"])
def test_without_a_verdict_in_time_the_answer_is_the_usual_202(
    client: FlaskClient, keys: Keys, redis: redis_lib.Redis, prefer: str | None
) -> None:
    headers = keys.site("news") | ({"Prefer": prefer} if prefer else {})
    response = client.post("/v1/comments", json=comment_body("No worker runs"), headers=headers)

    assert response.status_code == 202 and "Preference-Applied" not in response.headers
    assert response.json["status"] == "queued"
    assert redis.exists(rkeys.comment(part("news"), response.json["id"]))  # stored all the same


@pytest.mark.parametrize(
    "values, seconds",
    [
        (["wait=5"], 5),
        (["respond-async, wait=3"], 3),
        (["handling=lenient", "Wait = 2"], 2),
        (['wait="4"'], 4),
        (["wait=4; foo=bar"], 4),
        ([f"wait={MAX_WAIT_S + 90}"], MAX_WAIT_S),
        (["wait=-1"], 0),
        (["wait=1.5"], 0),
        (["wait=٣"], 0),  # an Arabic-Indic digit is a digit to Python, not to RFC 7240
        (["wait"], 0),
        ([], 0),
    ],
)
def test_prefer_wait_is_read_as_rfc_7240_writes_it(values: list[str], seconds: int) -> None:
    assert prefer_wait(values) == seconds


def test_a_wait_is_woken_by_the_verdicts_announcement_not_by_polling(
    redis: redis_lib.Redis,
) -> None:
    waits, looked, scored = VerdictWaits(redis, slots=2), [], threading.Event()
    results: list[bool] = []

    def is_scored() -> bool:
        looked.append(True)
        return scored.is_set()

    waiting = threading.Thread(target=lambda: results.append(waits.wait("c1", 30, is_scored)))
    waiting.start()
    _until(lambda: waits.waiting() == 1 and len(looked) == 1)
    scored.set()
    redis.publish(rkeys.verdicts_channel(), "c0 c1 c2")  # as the verdict script does
    waiting.join(timeout=10)

    assert results == [True]
    assert len(looked) == 2  # once before waiting, once when woken
    assert waits.waiting() == 0
    waits.close()
    assert waits.wait("c3", 30, _never_called) is False


def test_waiting_requests_never_take_more_than_their_slots(redis: redis_lib.Redis) -> None:
    waits, done = VerdictWaits(redis, slots=1), threading.Event()
    first = threading.Thread(target=lambda: waits.wait("c1", 30, done.is_set))
    first.start()
    _until(lambda: waits.waiting() == 1)

    # every slot taken: the next request does not wait, and never asks whether it is scored
    assert waits.wait("c2", 30, _never_called) is False
    assert VerdictWaits(redis, slots=0).wait("c3", 30, _never_called) is False
    done.set()
    redis.publish(rkeys.verdicts_channel(), "c1")
    first.join(timeout=10)
    assert not first.is_alive() and waits.waiting() == 0
    waits.close()


def _never_called() -> bool:
    raise AssertionError("a request without a slot looked at its comment")


def _until(condition: object, timeout_s: float = 10.0) -> None:
    assert callable(condition)
    deadline = threading.Event()
    for _ in range(int(timeout_s / 0.01)):
        if condition():
            return
        deadline.wait(0.01)
    raise AssertionError("condition not met in time")
