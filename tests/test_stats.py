"""Each site's daily figures: counted by the verdict script and by decisions, read through
`GET /v1/moderation/stats` and `modq stats`."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
import redis as redis_lib
from click.testing import CliRunner
from flask.testing import FlaskClient

from service.cli import main
from service.moderation.comments import Author, Comment, CommentStatus, Decision, NewComment
from service.moderation.stats import DayStats, decision_counters, month_span, span
from service.storage import keys as rkeys
from tests.conftest import Keys
from tests.factories import HAM, SPAM, comment_body

SITE, OTHER = "news.example", "other.example"
STATS = "/v1/moderation/stats"


def _comment(status: CommentStatus, decision: Decision | None = None) -> Comment:
    content = NewComment(Author("A", "a@mail.example"), "text")
    return Comment("c" * 32, SITE, content, 0.0, status=status, decision=decision)


@pytest.mark.parametrize(
    "before, decision, decided_before, counters",
    [
        (CommentStatus.APPROVED, Decision.SPAM, None, ["decided_spam", "missed_spam"]),
        (CommentStatus.SPAM, Decision.APPROVE, None, ["decided_approve", "false_positives"]),
        (CommentStatus.REJECTED, Decision.APPROVE, None, ["decided_approve", "false_positives"]),
        (CommentStatus.PENDING_REVIEW, Decision.SPAM, None, ["decided_spam"]),
        (CommentStatus.PENDING_REVIEW, Decision.APPROVE, None, ["decided_approve"]),
        (CommentStatus.APPROVED, Decision.REJECT, None, ["decided_reject"]),
        # A changed decision corrects a person, not the model.
        (CommentStatus.APPROVED, Decision.SPAM, Decision.APPROVE, ["decided_spam"]),
    ],
)
def test_a_decision_counts_itself_and_whether_it_corrects_the_model(
    before: CommentStatus, decision: Decision, decided_before: Decision | None, counters: list[str]
) -> None:
    earlier = _comment(before, decided_before)
    after = _comment(decision.status, decision)

    assert decision_counters(earlier, after) == counters


def test_accuracy_counts_corrections_against_automatic_verdicts() -> None:
    today = date(2026, 12, 1)

    assert DayStats(today, received=5, held=5).accuracy is None
    day = DayStats(today, received=10, approved=6, spam=3, held=1, missed_spam=1, false_positives=1)
    assert day.automatic == 9 and day.accuracy == pytest.approx(7 / 9)


def test_spans_are_bounded_and_months_end_today() -> None:
    first = date(2026, 11, 1)

    assert len(span(first, date(2026, 11, 30))) == 30
    assert month_span(first, date(2026, 11, 12))[-1] == date(2026, 11, 12)
    assert month_span(date(2026, 2, 1), date(2026, 12, 1))[-1] == date(2026, 2, 28)
    with pytest.raises(ValueError, match="before"):
        span(first, first - timedelta(days=1))
    with pytest.raises(ValueError, match="at most"):
        span(first, first + timedelta(days=400))


def _post(client: FlaskClient, keys: Keys, body: str, site: str = SITE) -> str:
    response = client.post("/v1/comments", json=comment_body(body), headers=keys.site(site))
    assert response.status_code == 202, response.json
    return str(response.json["id"])


def _decide(client: FlaskClient, keys: Keys, comment_id: str, decision: str) -> None:
    url = f"/v1/moderation/comments/{comment_id}/decision"
    response = client.post(url, json={"decision": decision}, headers=keys.moderator(SITE))
    assert response.status_code == 200, response.json


def test_the_days_figures_follow_verdicts_and_corrections(
    client: FlaskClient, keys: Keys, drain: Callable[..., int]
) -> None:
    ham = _post(client, keys, HAM)
    spam = _post(client, keys, SPAM)
    _post(client, keys, HAM + " And the roads too.", site=OTHER)  # another site's
    drain()
    _decide(client, keys, ham, "spam")  # the model approved it: missed spam
    _decide(client, keys, spam, "approve")  # the model called it spam: a false positive
    drain()

    answer = client.get(STATS, headers=keys.moderator(SITE))

    assert answer.status_code == 200, answer.json
    days = answer.json["days"]
    today = f"{datetime.now(UTC).date():%Y-%m-%d}"
    assert len(days) == 30 and days[-1]["day"] == today
    assert sum(d["received"] for d in days[:-1]) == 0
    assert {k: days[-1][k] for k in ("received", "approved", "spam", "held")} == {
        "received": 2,
        "approved": 1,
        "spam": 1,
        "held": 0,
    }
    assert (days[-1]["moderator_spam"], days[-1]["moderator_approved"]) == (1, 1)
    assert (days[-1]["missed_spam"], days[-1]["false_positives"]) == (1, 1)
    assert days[-1]["accuracy"] == 0.0 and days[0]["accuracy"] is None
    assert answer.json["total"]["received"] == 2 and answer.json["learned"] == 2


def test_a_span_can_be_asked_for_and_is_bounded(client: FlaskClient, keys: Keys) -> None:
    moderator = keys.moderator(SITE)

    week = client.get(
        STATS, query_string={"from": "2026-11-01", "to": "2026-11-07"}, headers=moderator
    )
    reversed_ = client.get(
        STATS, query_string={"from": "2026-11-07", "to": "2026-11-01"}, headers=moderator
    )
    too_long = client.get(
        STATS, query_string={"from": "2020-01-01", "to": "2026-11-01"}, headers=moderator
    )
    not_a_day = client.get(STATS, query_string={"from": "yesterday"}, headers=moderator)

    assert [d["day"] for d in week.json["days"]][::6] == ["2026-11-01", "2026-11-07"]
    assert week.json["total"]["day"] == "2026-11-01"
    for refused in (reversed_, too_long, not_a_day):
        assert refused.status_code == 422 and refused.json["code"] == 422


def test_the_stats_are_for_the_sites_moderators_only(client: FlaskClient, keys: Keys) -> None:
    assert client.get(STATS, headers=keys.site(SITE)).status_code == 403
    assert client.get(STATS).status_code == 401


def test_counting_adds_nothing_to_the_comment_write(
    client: FlaskClient, keys: Keys, redis: redis_lib.Redis
) -> None:
    _post(client, keys, HAM)

    assert not redis.keys(rkeys.site_day(SITE, datetime.now(UTC).date()))  # the worker counts


def test_days_are_kept_about_a_year(
    client: FlaskClient, keys: Keys, redis: redis_lib.Redis, drain: Callable[..., int]
) -> None:
    _post(client, keys, HAM)
    drain()

    ttl = redis.ttl(rkeys.site_day(SITE, datetime.now(UTC).date()))
    assert 399 * 86_400 < ttl <= rkeys.DAY_KEPT_S


def test_modq_stats_prints_the_sites_days(
    client: FlaskClient, keys: Keys, redis_server_url: str, drain: Callable[..., int]
) -> None:
    _post(client, keys, SPAM)
    drain()
    runner = CliRunner(env={"REDIS_URL": redis_server_url})

    table = runner.invoke(main, ["stats", "--site", SITE])
    as_json = runner.invoke(main, ["stats", "--site", SITE, "--json", "--from", "2026-11-01"])
    refused = runner.invoke(
        main, ["stats", "--site", SITE, "--from", "2026-12-02", "--to", "2026-12-01"]
    )

    assert table.exit_code == 0, table.output
    lines = table.stdout.splitlines()
    today = f"{datetime.now(UTC).date():%Y-%m-%d}"
    assert lines[0].split()[:3] == ["day", "received", "approved"]
    assert next(line for line in lines if line.startswith(today)).split()[1:5] == [
        "1",
        "0",
        "0",
        "1",
    ]
    assert lines[-2].startswith("total") and "decisions learned" in lines[-1]
    shown = json.loads(as_json.stdout)
    assert shown["days"][0]["day"] == "2026-11-01" and shown["total"]["spam"] == 1
    assert refused.exit_code == 2 and "before" in refused.output
