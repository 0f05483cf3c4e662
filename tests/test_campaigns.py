"""Campaigns: near-copies found across scripts and spellings, grouped, decided as one."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
import redis as redis_lib
from click.testing import CliRunner
from flask.testing import FlaskClient

from service.cli import main
from service.moderation.campaigns import BANDS, MIN_WORDS, band_keys, units
from service.moderation.comments import Author, Campaign, NewComment
from service.moderation.rules import SiteRules
from service.scoring.document import ScoringInput, to_document
from service.storage.comments import CommentStore
from service.storage.seen import SeenStore
from tests.conftest import Keys
from tests.factories import comment_body, part

QUEUE = "/v1/moderation/queue"

# A campaign's copies as they arrive: new links, punctuation, a changed word, look-alike
# letters, Arabic with other spellings of its letters.
OFFER = "Earn money from home with our new program, message me on telegram for the details now"
OFFER_COPIES = [
    "Earn money from home with our new program!! Message me on Telegram for the details now",
    "earn money from home with our new program, message me on telegram for all details now",
    "Earn mоney from hоme with our new prоgram, message me on telegram for the details now",
]
ARABIC = "اربح المال من المنزل مع برنامجنا الجديد، راسلني على تيليجرام لمعرفة التفاصيل الآن"
ARABIC_COPY = "إربح المال من المنزل مع برنامجنا الجديد راسلني على تيليجرام لمعرفة التفاصيل الان"
# Readers who share words with the campaign, and short comments that repeat by chance.
UNRELATED = [
    "I tried to earn money from home last year and it was harder than the article says",
    "The new program at the library is great, my kids loved the details of the exhibition",
]
SHORT = ["Great article, thank you", "great article thank you!"]


def _bands(bodies: list[str]) -> list[tuple[str, ...]]:
    """The band keys of these comments, from the documents the worker makes of them."""
    return band_keys([to_document(ScoringInput(body)) for body in bodies])


def _shared_bands(first: str, second: str) -> int:
    one, other = _bands([first, second])
    return len(set(one) & set(other))


@pytest.mark.parametrize("copy", OFFER_COPIES)
def test_a_near_copy_shares_a_band_with_the_original(copy: str) -> None:
    assert _shared_bands(OFFER, copy) >= 1


def test_arabic_spelled_another_way_is_the_same_campaign() -> None:
    assert _shared_bands(ARABIC, ARABIC_COPY) >= 1


@pytest.mark.parametrize("other", UNRELATED)
def test_a_comment_sharing_words_is_not_a_copy(other: str) -> None:
    assert _shared_bands(OFFER, other) == 0


def test_short_comments_are_in_no_campaign() -> None:
    assert _bands(SHORT) == [(), ()]
    assert all(len(set(units(text))) < MIN_WORDS for text in SHORT)


def test_a_batch_gives_each_comment_the_bands_it_has_alone() -> None:
    together = _bands([OFFER, SHORT[0], ARABIC, OFFER_COPIES[0]])

    assert together == [_bands([OFFER])[0], (), _bands([ARABIC])[0], _bands([OFFER_COPIES[0]])[0]]
    assert len(together[0]) == BANDS


def test_a_text_without_spaces_is_shingled_by_letters() -> None:
    chinese = "这是一个非常好的产品请访问我们的网站购买价格便宜质量好快来看看吧"
    assert _shared_bands(chinese, chinese.replace("好的", "棒的")) >= 1


# Through the service: the real worker, Redis and API.


@pytest.fixture
def post(client: FlaskClient, keys: Keys) -> Callable[..., str]:
    def send(body: str, n: int = 0, site: str = "news") -> str:
        author = {"name": f"Seller {n}", "email": f"s{n}@mail.example", "url": ""}
        payload = comment_body(body, author=author, ip=f"198.51.100.{n % 250 + 1}")
        response = client.post("/v1/comments", json=payload, headers=keys.site(site))
        assert response.status_code == 202
        return str(response.json["id"])

    return send


def _queue(client: FlaskClient, keys: Keys) -> dict[str, dict[str, Any]]:
    page = client.get(QUEUE, query_string={"limit": 100}, headers=keys.moderator("news")).json
    return {item["id"]: item for item in page["items"]}


def test_held_copies_carry_their_campaign_and_its_size(
    client: FlaskClient, keys: Keys, post: Callable[..., str], drain: Callable[..., int]
) -> None:
    ids = [post(text, n) for n, text in enumerate([OFFER, *OFFER_COPIES])]
    loner = post(UNRELATED[0], 9)
    drain(approve_below=0.0, reject_above=1.0)

    queue = _queue(client, keys)

    campaign = queue[ids[0]]["campaign"]
    assert [queue[i]["campaign"] for i in ids] == [campaign] * len(ids)
    assert campaign == {"id": "1", "size": len(ids), "decision": None}
    assert queue[loner]["campaign"] == {"id": "2", "size": 1, "decision": None}


def test_one_decision_takes_the_held_copies_and_later_copies_are_spam_on_arrival(
    client: FlaskClient, keys: Keys, post: Callable[..., str], drain: Callable[..., int]
) -> None:
    first = [post(OFFER, 0), post(OFFER_COPIES[0], 1)]
    reader = post(UNRELATED[1], 2)
    drain(approve_below=0.0, reject_above=1.0)
    campaign = _queue(client, keys)[first[0]]["campaign"]["id"]

    decided = client.post(
        f"/v1/moderation/campaigns/{campaign}/decision",
        json={"decision": "spam"},
        headers=keys.moderator("news"),
    )
    later = [post(text, 3 + n) for n, text in enumerate(OFFER_COPIES[1:])]
    reader_again = post(UNRELATED[1].replace("great", "lovely"), 7)
    drain(approve_below=0.0, reject_above=1.0)

    assert decided.status_code == 200
    assert [(r["id"], r["status"]) for r in decided.json["results"]] == [(i, "spam") for i in first]
    site = keys.site("news")
    for comment_id in later:
        comment = client.get(f"/v1/comments/{comment_id}", headers=site).json
        assert comment["status"] == "spam"
        assert comment["reasons"][0].startswith("copy of a campaign marked spam")
    assert set(_queue(client, keys)) == {reader, reader_again}


def test_approving_a_copy_lifts_the_campaigns_spam_call(
    client: FlaskClient, keys: Keys, post: Callable[..., str], drain: Callable[..., int]
) -> None:
    founder = post(OFFER, 0)
    drain(approve_below=0.0, reject_above=1.0)
    moderator = keys.moderator("news")
    campaign = _queue(client, keys)[founder]["campaign"]["id"]
    client.post(f"/v1/moderation/campaigns/{campaign}/decision", json={"decision": "spam"},
                headers=moderator)  # fmt: skip
    client.post(f"/v1/moderation/comments/{founder}/decision", json={"decision": "approve"},
                headers=moderator)  # fmt: skip
    copy = post(OFFER_COPIES[0], 1)
    drain(approve_below=0.0, reject_above=1.0)

    assert _queue(client, keys)[copy]["campaign"] == {
        "id": campaign,
        "size": 2,
        "decision": "approve",
    }


def test_bulk_decides_campaigns_and_comments_and_reports_an_unknown_campaign(
    client: FlaskClient, keys: Keys, post: Callable[..., str], drain: Callable[..., int]
) -> None:
    copies = [post(OFFER, 0), post(OFFER_COPIES[2], 1)]
    reader = post(UNRELATED[0], 2)
    drain(approve_below=0.0, reject_above=1.0)
    campaign = _queue(client, keys)[copies[0]]["campaign"]["id"]

    response = client.post(
        "/v1/moderation/decisions",
        json={
            "decisions": [
                {"campaign": campaign, "decision": "spam"},
                {"id": reader, "decision": "approve"},
                {"campaign": "f" * 32, "decision": "spam"},
            ]
        },
        headers=keys.moderator("news"),
    )

    results = response.json["results"]
    assert [(r["id"], r["ok"]) for r in results] == [
        (copies[0], True),
        (copies[1], True),
        (reader, True),
        ("f" * 32, False),
    ]
    assert results[3]["error"]["code"] == 404


@pytest.mark.parametrize(
    "item", [{"decision": "spam"}, {"id": "a", "campaign": "b", "decision": "spam"}]
)
def test_a_bulk_item_names_exactly_one_comment_or_campaign(
    client: FlaskClient, keys: Keys, item: dict[str, str]
) -> None:
    response = client.post(
        "/v1/moderation/decisions", json={"decisions": [item]}, headers=keys.moderator("news")
    )
    assert response.status_code == 422


def test_another_sites_campaign_is_not_found(
    client: FlaskClient, keys: Keys, post: Callable[..., str], drain: Callable[..., int]
) -> None:
    founder = post(OFFER, 0)
    drain(approve_below=0.0, reject_above=1.0)
    campaign = _queue(client, keys)[founder]["campaign"]["id"]

    response = client.post(
        f"/v1/moderation/campaigns/{campaign}/decision",
        json={"decision": "spam"},
        headers=keys.moderator("other"),
    )

    assert response.status_code == 404


def test_a_comment_seen_twice_is_counted_once_and_keeps_its_campaign(
    redis: redis_lib.Redis,
) -> None:
    store, seen = CommentStore(redis), SeenStore(redis)
    bodies = [OFFER, *OFFER_COPIES, UNRELATED[0]]
    stored = store.add_many("news", [NewComment(Author("S", "s@mail.example"), b) for b in bodies])
    texts = [t for t in store.unscored(part("news"), [c.id for c in stored]) if t is not None]
    batch = [(t, SiteRules(), b) for t, b in zip(texts, _bands(bodies), strict=True)]

    first = seen.observe(batch)
    again = seen.observe(batch[::-1])[::-1]

    assert [s.campaign for s in first[:4]] == [Campaign("1", n) for n in (1, 2, 3, 4)]
    assert [s.campaign for s in again[:4]] == [Campaign("1", 4)] * 4
    assert first[4].campaign == again[4].campaign == Campaign("2")


def test_cli_lists_the_largest_campaigns_and_their_calls(
    client: FlaskClient,
    keys: Keys,
    post: Callable[..., str],
    drain: Callable[..., int],
    redis_server_url: str,
) -> None:
    copies = [post(text, n) for n, text in enumerate([OFFER, *OFFER_COPIES])]
    pair = [post(ARABIC, 5), post(ARABIC_COPY, 6)]
    post(UNRELATED[0], 7)
    drain(approve_below=0.0, reject_above=1.0)
    queue = _queue(client, keys)
    decided = queue[pair[0]]["campaign"]["id"]
    client.post(
        f"/v1/moderation/campaigns/{decided}/decision",
        json={"decision": "spam"},
        headers=keys.moderator("news"),
    )

    shown = CliRunner(env={"REDIS_URL": redis_server_url}).invoke(
        main, ["sites", "campaigns", "--site", "news"]
    )

    assert shown.exit_code == 0, shown.output
    assert json.loads(shown.stdout) == [
        {"id": queue[copies[0]]["campaign"]["id"], "size": 4, "decision": None},
        {"id": decided, "size": 2, "decision": "spam"},
    ]
