"""Each site's rules through the API and the CLI, and what they do to comments' verdicts."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import redis as redis_lib
from click.testing import CliRunner
from flask.testing import FlaskClient

from service.cli import main
from service.moderation.comments import Author, NewComment
from service.moderation.rules import SiteRules
from service.storage import keys as rkeys
from service.storage.comment_hash import CommentText
from service.storage.seen import SeenStore
from tests.conftest import Keys
from tests.factories import DEFAULT_RULES, HAM, SETTINGS, comment_body


def _rules(**changes: Any) -> dict[str, Any]:
    return {**DEFAULT_RULES, **changes}


def test_a_site_starts_with_wordpress_defaults_and_replaces_them(
    client: FlaskClient, keys: Keys
) -> None:
    moderator = keys.moderator("news")
    assert client.get(SETTINGS, headers=moderator).json == DEFAULT_RULES

    strict = _rules(max_links=1, moderation_words=["casino", "viagra"], allowed_scripts=["latin"])
    put = client.put(SETTINGS, json=strict, headers=moderator)

    assert put.status_code == 200 and put.json == strict
    assert client.get(SETTINGS, headers=moderator).json == strict
    assert client.get(SETTINGS, headers=keys.moderator("other")).json == DEFAULT_RULES


@pytest.mark.parametrize(
    "body, field",
    [
        (_rules(max_links=-1), "max_links"),
        (_rules(min_seconds_to_post=float("inf")), "min_seconds_to_post"),
        (_rules(allowed_scripts=["Latin!"]), "allowed_scripts"),
        (_rules(moderation_words=["x" * 201]), "moderation_words"),
        (_rules(disallowed_words=["w"] * 1001), "disallowed_words"),
        (_rules(trusted_after=-1), "trusted_after"),
        (_rules(flood_seconds=0), "flood_seconds"),
        (_rules(reject_duplicates="sometimes"), "reject_duplicates"),
        ({"max_links": 2}, "moderation_words"),  # PUT replaces: every rule is required
        (_rules(colour="red"), "colour"),
    ],
)
def test_bad_rules_are_422_naming_the_field_and_change_nothing(
    client: FlaskClient, keys: Keys, body: dict[str, Any], field: str
) -> None:
    moderator = keys.moderator("news")
    response = client.put(
        SETTINGS, data=json.dumps(body), content_type="application/json", headers=moderator
    )

    assert response.status_code == 422, response.json
    assert response.json["message"] == "the request body is not a valid set of rules: see 'errors'"
    assert field in response.json["errors"]["json"]
    assert client.get(SETTINGS, headers=moderator).json == DEFAULT_RULES


def test_only_moderators_read_or_set_rules(client: FlaskClient, keys: Keys) -> None:
    site = keys.site("news")

    assert client.get(SETTINGS, headers=site).status_code == 403
    assert client.put(SETTINGS, json=DEFAULT_RULES, headers=site).status_code == 403
    assert client.put(SETTINGS, json=DEFAULT_RULES).status_code == 401


def _post(client: FlaskClient, site: dict[str, str], body: str, **fields: Any) -> str:
    response = client.post("/v1/comments", json=comment_body(body, **fields), headers=site)
    assert response.status_code == 202, response.json
    return str(response.json["id"])


def test_each_rule_decides_a_verdict_and_says_why(
    client: FlaskClient, keys: Keys, drain: Callable[..., int]
) -> None:
    site, moderator = keys.site("news"), keys.moderator("news")
    rules = _rules(moderation_words=["referendum"], disallowed_words=["cheap pills"])
    rules |= {"flood_max": 0, "reject_duplicates": False}  # one reader posts them all
    assert client.put(SETTINGS, json=rules, headers=moderator).status_code == 200
    now = time.time()
    posted = {
        "plain": _post(client, site, HAM),
        "links": _post(client, site, "Sources: http://a.example/x and http://b.example/y"),
        "moderation": _post(client, site, "What about the REFERENDUM next year?"),
        "disallowed": _post(client, site, "Buy chеap pills here"),  # a Cyrillic е inside
        "honeypot": _post(client, site, HAM, form={"honeypot": "http://x.example"}),
        "fast": _post(client, site, HAM, form={"honeypot": "", "rendered_at": now - 1}),
        "patient": _post(client, site, HAM, form={"rendered_at": now - 60}),
    }
    drain(approve_below=1.0, reject_above=1.0)  # the model would publish every one

    got = {k: client.get(f"/v1/comments/{i}", headers=site).json for k, i in posted.items()}
    status = {k: v["status"] for k, v in got.items()}
    assert status == {
        "plain": "approved",
        "links": "pending_review",
        "moderation": "pending_review",
        "disallowed": "spam",
        "honeypot": "spam",
        "fast": "pending_review",
        "patient": "approved",
    }
    assert got["links"]["reasons"][0] == "2 links"
    assert got["moderation"]["reasons"][0] == "moderation word"
    assert got["disallowed"]["reasons"][0] == "disallowed word"
    assert got["honeypot"]["reasons"][0] == "honeypot filled"
    assert got["fast"]["reasons"][0].startswith("posted 1.")
    assert got["fast"]["reasons"][0].endswith(" s after the page loaded")


def test_an_author_moderators_approved_is_trusted_where_the_model_is_unsure(
    client: FlaskClient, keys: Keys, drain: Callable[..., int]
) -> None:
    site, moderator = keys.site("news"), keys.moderator("news")
    unsure = {"approve_below": 0.0, "reject_above": 1.0}  # the model holds every comment
    regular = {"name": "Aysel", "email": "aysel@mail.example", "url": ""}
    first = _post(client, site, HAM, author=regular)
    drain(**unsure)
    url = f"/v1/moderation/comments/{first}/decision"
    assert client.post(url, json={"decision": "approve"}, headers=moderator).status_code == 200

    again = _post(
        client, site, "Another good point.", author={**regular, "email": "AYSEL@mail.example"}
    )
    stranger = _post(
        client, site, "Another good point.", author={**regular, "email": "x@y.example"}
    )
    links = _post(client, site, "See http://a.example and http://b.example", author=regular)
    drain(**unsure)

    got = {
        k: client.get(f"/v1/comments/{i}", headers=site).json
        for k, i in {"again": again, "stranger": stranger, "links": links}.items()
    }
    assert got["again"]["status"] == "approved"
    assert got["again"]["reasons"][0] == "author approved before"
    assert got["stranger"]["status"] == "pending_review"
    assert got["links"]["status"] == "pending_review"  # a hold rule still holds a trusted author

    assert client.put(SETTINGS, json=_rules(trusted_after=0), headers=moderator).status_code == 200
    later = _post(client, site, "One more thought.", author=regular)
    drain(**unsure)
    assert client.get(f"/v1/comments/{later}", headers=site).json["status"] == "pending_review"


def test_a_flood_is_held_and_a_copy_rejected_each_counted_once(
    client: FlaskClient, keys: Keys, drain: Callable[..., int]
) -> None:
    site = keys.site("news")
    crowd = [
        _post(client, site, f"Point number {n} about the budget.", author=_reader(n))
        for n in range(7)
    ]  # seven readers, one IP (comment_body's), within a second
    first = _post(client, site, "I said it before: fix the buses.", author=_reader(1), ip="")
    copy = _post(client, site, "I said it before:  FIX the buses.", author=_reader(1), ip="")
    drain(approve_below=1.0, reject_above=1.0)  # the model would publish every one

    got = [client.get(f"/v1/comments/{i}", headers=site).json for i in [*crowd, first, copy]]
    assert [g["status"] for g in got[:7]] == ["approved"] * 5 + ["pending_review"] * 2
    assert got[5]["reasons"][0] == "6 comments in 60 s"
    assert got[7]["status"] == "approved"
    assert got[8]["status"] == "rejected"
    assert got[8]["reasons"][0] == "duplicate of an earlier comment"


def _reader(n: int) -> dict[str, str]:
    return {"name": f"Reader {n}", "email": f"reader{n}@mail.example", "url": ""}


def test_a_form_that_is_not_one_is_422(client: FlaskClient, keys: Keys) -> None:
    site = keys.site("news")
    for form in ({"rendered_at": "yesterday"}, {"rendered_at": -5}, {"honeypot": 3}, []):
        response = client.post("/v1/comments", json=comment_body(HAM, form=form), headers=site)
        assert response.status_code == 422 and "form" in response.json["errors"]["json"]


def test_cli_shows_and_changes_a_sites_rules(redis_server_url: str, client: FlaskClient) -> None:
    run = CliRunner(env={"REDIS_URL": redis_server_url})

    shown = run.invoke(main, ["sites", "show", "--site", "news"])
    assert shown.exit_code == 0 and json.loads(shown.stdout) == DEFAULT_RULES
    changed = run.invoke(
        main,
        ["sites", "set", "--site", "news", "--max-links", "3", "--moderation-words", "a, b,,c"],
    )
    assert changed.exit_code == 0, changed.output
    assert json.loads(changed.stdout) == _rules(max_links=3, moderation_words=["a", "b", "c"])
    cleared = run.invoke(main, ["sites", "set", "--site", "news", "--moderation-words", ""])
    assert json.loads(cleared.stdout) == _rules(max_links=3)
    refused = run.invoke(main, ["sites", "set", "--site", "news", "--max-links", "-4"])
    assert refused.exit_code == 2 and "max_links" in refused.output


def test_a_busy_ips_flood_set_keeps_only_its_recent_windows(redis: redis_lib.Redis) -> None:
    # One comment every 11 windows from one IP: each sees only itself, and the set is
    # trimmed as it grows (by the comments whose id ends in 0, one in sixteen).
    rules = SiteRules(flood_seconds=60.0)
    seen = SeenStore(redis)
    counts = []
    for n in range(64):
        content = NewComment(Author("Bot", "bot@mail.example"), f"Visit number {n}", ip="192.0.2.9")
        text = CommentText(f"{n:031x}{n % 2 * 15:x}", "news", 1.7e9 + n * 660.0, content, "a1")
        counts += seen.observe([(text, rules, ())])

    assert {c.from_ip for c in counts} == {1}
    assert redis.zcard(rkeys.recent_from_ip("news", "192.0.2.9")) <= 2
