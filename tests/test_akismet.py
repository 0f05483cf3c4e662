"""Akismet's REST API on modq, through the app with a real Redis and the real model; the
clients nobody here wrote are in tests/akismet/."""

from __future__ import annotations

import csv
import dataclasses
import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import redis as redis_lib
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from service.app import create_app
from service.moderation.access import KeyKind
from service.settings import Settings
from service.storage import keys as rkeys
from service.storage.apikeys import KeyStore
from tests.conftest import Keys
from tests.factories import part

SITE, OTHER = "news.example", "other.example"
HAM = "Is this really true? I read elsewhere that the vote was postponed."
SPAM = (
    "CHECK OUT MY CHANNEL!!! Subscribe to my channel and win a free iPhone "
    "http://bit.ly/free-iphone click here now"
)
UNSURE = "Thanks for the clear explanation of the budget vote, very helpful."


def akismet_key(redis: redis_lib.Redis, site: str = SITE) -> str:
    return KeyStore(redis).create(KeyKind.SITE, site, akismet=True)[1]


def form(key: str, body: str, **fields: str) -> dict[str, str]:
    """A comment as WordPress's Akismet plugin sends it (the fields modq reads, and some it
    ignores)."""
    return {
        "api_key": key,
        "blog": "https://news.example",
        "user_ip": "203.0.113.7",
        "user_agent": "Mozilla/5.0",
        "referrer": "https://news.example/2026/11/budget",
        "permalink": "https://news.example/2026/11/budget",
        "comment_type": "comment",
        "comment_author": "Aysel",
        "comment_author_email": "aysel@mail.example",
        "comment_content": body,
        "blog_lang": "en_US",
        "blog_charset": "UTF-8",
        "POST_comment_post_ID": "1",
        "HTTP_ACCEPT": "text/html",
        **fields,
    }


@pytest.fixture
def key(redis: redis_lib.Redis) -> str:
    return akismet_key(redis)


def test_a_modq_site_key_in_either_form_verifies(
    client: FlaskClient, redis: redis_lib.Redis, keys: Keys, key: str
) -> None:
    token = keys.site(SITE)["Authorization"].removeprefix("Bearer ")
    assert len(key) == 12 and int(key, 16) >= 0  # what WordPress's Akismet plugin insists on

    for sent in (key, token):
        answer = client.post("/1.1/verify-key", data={"key": sent, "blog": "https://x"})
        assert (answer.status_code, answer.get_data(as_text=True)) == (200, "valid")


@pytest.mark.parametrize("wrong", ["", "abcdefabcdef", "short", "modq_site_0_x"])
def test_a_wrong_key_is_invalid_with_help_and_no_echo(client: FlaskClient, wrong: str) -> None:
    answer = client.post("/1.1/verify-key", data={"key": wrong, "blog": "https://news.example"})

    assert (answer.status_code, answer.get_data(as_text=True)) == (200, "invalid")
    assert answer.headers["X-akismet-debug-help"]
    assert wrong == "" or wrong not in str(answer.headers)


def test_revoked_and_moderator_keys_are_invalid(
    client: FlaskClient, redis: redis_lib.Redis, keys: Keys, key: str
) -> None:
    store = KeyStore(redis)
    store.revoke(next(r.principal.key_id for r in store.list(SITE) if r.principal.name))
    moderator = keys.moderator(SITE)["Authorization"].removeprefix("Bearer ")

    for sent in (key, moderator):
        answer = client.post("/1.1/comment-check", data=form(sent, HAM))
        assert answer.get_data(as_text=True) == "invalid"
    assert redis.xlen(rkeys.intake_stream(part(SITE))) == 0


def test_the_key_may_be_the_first_label_of_the_host(client: FlaskClient, key: str) -> None:
    data = form(key, HAM)
    del data["api_key"]

    answer = client.post("/1.1/comment-check", data=data, base_url=f"http://{key}.rest.example")
    wrong = client.post("/1.1/comment-check", data=data, base_url="http://zzzzzzzzzzzz.x")

    assert answer.get_data(as_text=True) in {"true", "false"}
    assert wrong.get_data(as_text=True) == "invalid"


@pytest.mark.usefixtures("scoring")
@pytest.mark.parametrize(
    "body, answer, held", [(SPAM, "true", False), (HAM, "false", False), (UNSURE, "false", True)]
)
def test_comment_check_answers_from_the_verdict_and_keeps_the_comment(
    client: FlaskClient, keys: Keys, key: str, body: str, answer: str, held: bool
) -> None:
    response = client.post("/1.1/comment-check", data=form(key, body))

    assert (response.status_code, response.get_data(as_text=True)) == (200, answer)
    assert ("X-akismet-error" in response.headers) is held
    stored = client.get(
        f"/v1/comments/{response.headers['X-akismet-guid']}", headers=keys.site(SITE)
    )
    expected = {"true": "spam", "false": "pending_review" if held else "approved"}[answer]
    assert stored.json["status"] == expected and stored.json["scored_at"] is not None
    assert "aysel@mail.example" not in response.get_data(as_text=True) + str(response.headers)


@pytest.mark.usefixtures("scoring")
def test_a_held_comment_is_in_the_review_queue(client: FlaskClient, keys: Keys, key: str) -> None:
    guid = client.post("/1.1/comment-check", data=form(key, UNSURE)).headers["X-akismet-guid"]

    queue = client.get("/v1/moderation/queue", headers=keys.moderator(SITE)).json
    assert [item["id"] for item in queue["items"]] == [guid]
    assert queue["items"][0]["author"]["email"] == "aysel@mail.example"  # moderators see it


def test_without_a_verdict_in_time_the_comment_is_held_not_lost(
    client: FlaskClient, redis: redis_lib.Redis, key: str
) -> None:
    response = client.post("/1.1/comment-check", data=form(key, HAM))  # no worker runs

    assert response.get_data(as_text=True) == "false" and "X-akismet-error" in response.headers
    assert redis.exists(rkeys.comment(part(SITE), response.headers["X-akismet-guid"]))


@pytest.mark.usefixtures("scoring")
def test_administrators_are_never_called_spam(client: FlaskClient, key: str) -> None:
    response = client.post("/1.1/comment-check", data=form(key, SPAM, user_role="administrator"))

    assert response.get_data(as_text=True) == "false"


@pytest.mark.usefixtures("scoring")
def test_a_recheck_answers_from_the_stored_comment_and_stores_no_copy(
    client: FlaskClient, redis: redis_lib.Redis, keys: Keys, key: str
) -> None:
    guid = client.post("/1.1/comment-check", data=form(key, UNSURE)).headers["X-akismet-guid"]
    stored = _stored(redis)

    queue = client.post(
        "/1.1/comment-check", data=form(key, UNSURE, recheck_reason="recheck_queue")
    )
    retry = client.post("/1.1/comment-check", data=form(key, UNSURE, recheck_reason="retry"))
    url = f"/v1/moderation/comments/{guid}/decision"
    client.post(url, json={"decision": "spam"}, headers=keys.moderator(SITE))
    decided = client.post("/1.1/comment-check", data=form(key, UNSURE, recheck_reason="retry"))

    for answer in (queue, retry, decided):
        assert answer.headers["X-akismet-guid"] == guid
    assert _stored(redis) == stored == 1  # no copy was stored
    # held: "false" with the header, except on WordPress's outage retry, which would publish
    assert (queue.get_data(as_text=True), "X-akismet-error" in queue.headers) == ("false", True)
    assert retry.get_data(as_text=True) == "held" and "X-akismet-error" in retry.headers
    assert decided.get_data(as_text=True) == "true"  # the moderator's decision, not the model's


def _stored(redis: redis_lib.Redis) -> int:
    return len(list(redis.scan_iter(match=rkeys.comment(part(SITE), "*"))))


@pytest.mark.usefixtures("scoring")
def test_a_recheck_of_a_comment_modq_never_saw_stores_and_scores_it(
    client: FlaskClient, key: str
) -> None:
    answer = client.post("/1.1/comment-check", data=form(key, SPAM, recheck_reason="retry"))

    assert answer.get_data(as_text=True) == "true" and answer.headers["X-akismet-guid"]


def test_what_wordpresss_settings_page_asks_is_answered(
    client: FlaskClient, redis: redis_lib.Redis, key: str, drain: Callable[..., int]
) -> None:
    client.post("/1.1/comment-check", data=form(key, SPAM))
    client.post("/1.1/comment-check", data=form(key, HAM))
    drain()

    connected = client.get("/1.1/test")
    account = client.post("/1.1/get-subscription", data={"key": key, "blog": "https://x"})
    wrong = client.post("/1.1/get-subscription", data={"key": "0" * 12, "blog": "https://x"})
    stats = {
        span: client.post("/1.1/get-stats", data={"key": key, "blog": "https://x", "from": span})
        for span in ("60-days", "6-months", "all")
    }
    gone = client.post("/1.1/deactivate", data={"key": key, "blog": "https://x"})

    assert connected.get_data(as_text=True) == "connected"
    assert account.json["status"] == "active" and account.json["user_login"] == SITE
    assert wrong.get_data(as_text=True) == "invalid"
    today = datetime.now(UTC).date()
    for span, name in (
        ("60-days", f"{today}"),
        ("6-months", f"{today:%Y-%m}"),
        ("all", f"{today:%Y}"),
    ):
        got = stats[span].json
        assert (got["spam"], got["ham"], got["missed_spam"], got["false_positives"]) == (1, 1, 0, 0)
        assert got["accuracy"] == 100.0 and got["breakdown"][name]["spam"] == 1
    assert len(stats["60-days"].json["breakdown"]) == 60
    assert gone.get_data(as_text=True) == "deactivated"
    assert client.post("/1.1/verify-key", data={"key": key, "blog": "x"}).get_data() == b"valid"


@pytest.mark.parametrize(
    "change, message",
    [
        ({"user_ip": None}, "Missing required field: user_ip."),
        ({"blog": None}, "Missing required field: blog."),
        ({"user_ip": "not an address"}, "Invalid field: user_ip"),
        ({"comment_author_email": "x" * 300}, "Invalid field: comment_author_email"),
    ],
)
def test_bad_forms_get_akismet_shaped_answers_and_store_nothing(
    client: FlaskClient, redis: redis_lib.Redis, key: str, change: dict[str, Any], message: str
) -> None:
    data = {k: v for k, v in {**form(key, HAM), **change}.items() if v is not None}

    response = client.post("/1.1/comment-check", data=data)

    assert response.status_code == 400 and response.mimetype == "text/plain"
    assert response.get_data(as_text=True).startswith(message)
    assert response.headers["X-akismet-debug-help"].startswith(message)
    assert redis.xlen(rkeys.intake_stream(part(SITE))) == 0


def test_submit_spam_by_guid_is_the_sites_decision_and_is_learned(
    client: FlaskClient, keys: Keys, key: str, drain: Callable[..., int]
) -> None:
    guid = client.post("/1.1/comment-check", data=form(key, HAM)).headers["X-akismet-guid"]
    drain()

    answer = client.post("/1.1/submit-spam", data=form(key, HAM, guid=guid))
    drain()

    assert answer.get_data(as_text=True) == "Thanks for making the web a better place."
    comment = client.get(f"/v1/moderation/comments/{guid}", headers=keys.moderator(SITE)).json
    assert (comment["status"], comment["decided_by"]) == ("spam", "site")
    learned = client.get("/v1/moderation/learning", headers=keys.moderator(SITE)).json
    assert learned["steps"] == 1


def test_submit_ham_without_guid_finds_the_comment_by_author_and_body(
    client: FlaskClient, keys: Keys, key: str, drain: Callable[..., int]
) -> None:
    spam = client.post("/1.1/comment-check", data=form(key, SPAM)).headers["X-akismet-guid"]
    other = form(key, SPAM, comment_author_email="someone@else.example")
    elsewhere = client.post("/1.1/comment-check", data=other).headers["X-akismet-guid"]
    drain()

    client.post("/1.1/submit-ham", data=form(key, SPAM))
    again = client.post("/1.1/submit-ham", data=form(key, SPAM))  # the same call twice

    moderator = keys.moderator(SITE)
    found = client.get(f"/v1/moderation/comments/{spam}", headers=moderator).json
    untouched = client.get(f"/v1/moderation/comments/{elsewhere}", headers=moderator).json
    assert again.status_code == 200
    assert (found["status"], found["decided_by"]) == ("approved", "site")
    assert untouched["status"] == "spam" and untouched["decided_by"] == "model"


def test_a_submission_needs_no_ip_but_a_check_does(
    client: FlaskClient, keys: Keys, key: str, drain: Callable[..., int]
) -> None:
    guid = client.post("/1.1/comment-check", data=form(key, HAM)).headers["X-akismet-guid"]
    drain()
    old = {k: v for k, v in form(key, HAM).items() if k != "user_ip"}  # WordPress, 15 days on

    reported = client.post("/1.1/submit-spam", data=old)
    checked = client.post("/1.1/comment-check", data=old)

    assert reported.status_code == 200 and reported.headers["X-akismet-guid"] == guid
    assert checked.status_code == 400
    assert checked.get_data(as_text=True) == "Missing required field: user_ip."


def test_a_submission_modq_never_saw_is_stored_and_learned(
    client: FlaskClient, redis: redis_lib.Redis, keys: Keys, key: str, drain: Callable[..., int]
) -> None:
    answer = client.post("/1.1/submit-spam", data=form(key, "Buy cheap watches at example"))
    drain()

    guid = answer.headers["X-akismet-guid"]
    comment = client.get(f"/v1/moderation/comments/{guid}", headers=keys.moderator(SITE)).json
    assert (comment["status"], comment["decided_by"]) == ("spam", "site")
    learned = client.get("/v1/moderation/learning", headers=keys.moderator(SITE)).json
    assert learned["steps"] == 1


def test_one_sites_key_never_reads_or_decides_another_sites_comment(
    client: FlaskClient, redis: redis_lib.Redis, keys: Keys, key: str, drain: Callable[..., int]
) -> None:
    theirs = client.post("/1.1/comment-check", data=form(key, HAM)).headers["X-akismet-guid"]
    drain()
    other_key = akismet_key(redis, OTHER)

    answer = client.post("/1.1/submit-spam", data=form(other_key, HAM, guid=theirs))

    assert answer.headers["X-akismet-guid"] != theirs  # a comment of its own site, stored new
    comment = client.get(f"/v1/moderation/comments/{theirs}", headers=keys.moderator(SITE)).json
    assert comment["status"] == "approved" and comment["decision"] is None
    sites = client.get("/1.2/key-sites", query_string={"api_key": other_key}).json
    assert [row["site"] for row in sites[next(iter(sites))]] == [OTHER]
    assert SITE not in answer.get_data(as_text=True) + str(sites)


def test_key_sites_and_usage_limit_report_the_sites_month(
    client: FlaskClient, keys: Keys, key: str, drain: Callable[..., int]
) -> None:
    for body in (HAM, SPAM, UNSURE):
        client.post("/1.1/comment-check", data=form(key, body))
    drain()
    ham_guid = client.post("/1.1/comment-check", data=form(key, HAM + " Really.")).headers
    drain()
    client.post("/1.1/submit-spam", data=form(key, "", guid=ham_guid["X-akismet-guid"]))

    month = f"{datetime.now(UTC):%Y-%m}"
    sites = client.get("/1.2/key-sites", query_string={"api_key": key}).json
    table = client.get("/1.2/key-sites", query_string={"api_key": key, "format": "csv"})
    usage = client.get("/1.2/usage-limit", query_string={"api_key": key}).json

    row = {"site": SITE, "api_calls": 4, "spam": 1, "ham": 2, "missed_spam": 1}
    assert sites[month] == [{**row, "false_positives": 0, "is_revoked": False}]
    assert (sites["limit"], sites["offset"], sites["total"]) == (500, 0, 1)
    lines = list(csv.reader(io.StringIO(table.get_data(as_text=True))))
    assert lines[1][:3] == ["Site", "Total API Calls", "Spam"]
    assert lines[2] == [SITE, "4", "1", "2", "1", "0", "false"]
    assert usage == {"limit": "none", "usage": 4, "percentage": "0", "throttled": False}
    empty = client.get("/1.2/key-sites", query_string={"api_key": key, "filter": "nothing"}).json
    assert empty[month] == [] and empty["total"] == 0


@pytest.mark.parametrize("query", [{"month": "2026-13"}, {"limit": "x"}, {"format": "xml"}])
def test_key_sites_refuses_bad_arguments_in_akismet_shape(
    client: FlaskClient, key: str, query: dict[str, str]
) -> None:
    response = client.get("/1.2/key-sites", query_string={"api_key": key, **query})

    assert response.status_code == 400 and response.headers["X-akismet-debug-help"]


# No form body makes an Akismet endpoint answer 5xx --------------------------------------

_ENDPOINTS = ["/1.1/verify-key", "/1.1/comment-check", "/1.1/submit-spam", "/1.1/submit-ham"]
_NAMES = st.sampled_from(
    [*form("k", "b"), "key", "guid", "honeypot_field_name", "hp", "month", "limit", "x"]
)
_VALUES = st.one_of(
    st.text(max_size=300),
    st.sampled_from(["", "203.0.113.7", "::1", "0" * 32, "administrator", "hp", "en_US"]),
)


@pytest.fixture
def quick_app(settings: Settings, redis: redis_lib.Redis) -> Iterator[Flask]:
    """The app without waiting for verdicts: many requests, no worker."""
    app = create_app(dataclasses.replace(settings, akismet_wait_ms=0), redis)
    yield app
    app.extensions["modq"].waits.close()


@hypothesis_settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    endpoint=st.sampled_from([*_ENDPOINTS, "/1.2/key-sites", "/1.2/usage-limit"]),
    fields=st.dictionaries(_NAMES, _VALUES, max_size=12),
    with_key=st.booleans(),
)
def test_no_form_makes_an_akismet_endpoint_answer_5xx(
    quick_app: Flask, redis: redis_lib.Redis, endpoint: str, fields: dict[str, str], with_key: bool
) -> None:
    if with_key:
        fields["api_key"] = _cached_key(redis)
    client = quick_app.test_client()

    response = client.post(endpoint, data=fields)

    assert response.status_code < 500, response.get_data(as_text=True)
    assert response.mimetype in {"text/plain", "application/json", "text/csv"}


_KEYS: dict[int, str] = {}


def _cached_key(redis: redis_lib.Redis) -> str:
    # One key per Redis flush: the test's fixtures flush once, hypothesis runs many examples.
    if not redis.exists(rkeys.api_key_index()):
        _KEYS.clear()
    if not _KEYS:
        _KEYS[0] = akismet_key(redis)
    return _KEYS[0]
