"""A site's calibration through the service: a cautious start per script, and thresholds
its decisions choose (or an operator sets)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any

import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient

from service.cli import main
from service.storage.calibration import BY_DECISIONS, BY_OPERATOR
from tests.conftest import Keys
from tests.factories import comment_body

# The reader: is the story true, another news site reported the visit postponed.
ARABIC_READER = "هل هذا صحيح؟ موقع www.akhbar.example قال إن الزيارة تأجلت إلى الأسبوع المقبل"
THRESHOLDS = ["sites", "thresholds", "--site", "news"]
ARABIC_SPAM = "اربح المال الآن زوروا www.win-money.example واتصلوا على 0501234567"


@pytest.fixture
def post(client: FlaskClient, keys: Keys) -> Callable[..., str]:
    count = iter(range(10_000))

    def send(body: str) -> str:
        n = next(count)
        author = {"name": f"Reader {n}", "email": f"r{n}@mail.example", "url": ""}
        payload = comment_body(body, author=author, ip=f"198.51.100.{n % 250 + 1}")
        response = client.post("/v1/comments", json=payload, headers=keys.site("news"))
        assert response.status_code == 202
        return str(response.json["id"])

    return send


def _comment(client: FlaskClient, keys: Keys, comment_id: str) -> dict[str, Any]:
    return dict(client.get(f"/v1/comments/{comment_id}", headers=keys.site("news")).json)


def _decide(client: FlaskClient, keys: Keys, decisions: list[tuple[str, str]]) -> None:
    body = {"decisions": [{"id": i, "decision": d} for i, d in decisions]}
    response = client.post("/v1/moderation/decisions", json=body, headers=keys.moderator("news"))
    assert all(result["ok"] for result in response.json["results"]), response.json


def _learning(client: FlaskClient, keys: Keys) -> dict[str, Any]:
    return dict(client.get("/v1/moderation/learning", headers=keys.moderator("news")).json)


def test_a_new_site_holds_what_the_model_would_reject_in_a_script_it_never_confirmed(
    client: FlaskClient, keys: Keys, post: Callable[..., str], drain: Callable[..., int]
) -> None:
    reader, spam = post(ARABIC_READER), post(ARABIC_SPAM)
    drain()

    for comment_id in (reader, spam):
        comment = _comment(client, keys, comment_id)
        assert comment["status"] == "pending_review" and comment["score"] > 0.95
        assert comment["reasons"][0] == "no spam in arabic confirmed here yet"


def test_once_moderators_confirm_spam_in_a_script_the_model_rejects_what_it_is_sure_of(
    client: FlaskClient, keys: Keys, post: Callable[..., str], drain: Callable[..., int]
) -> None:
    first = [post(f"{ARABIC_SPAM} {n}") for n in range(3)] + [post("A fair point, thank you")]
    drain()
    _decide(client, keys, [(i, "spam") for i in first[:3]] + [(first[3], "approve")])
    reader, spam = post(ARABIC_READER), post(ARABIC_SPAM + " مرة أخرى")
    drain()

    assert _learning(client, keys)["scripts"] == {
        "arabic": {"spam": 3, "ham": 0},
        "latin": {"spam": 0, "ham": 1},
    }
    held = _comment(client, keys, reader)
    assert held["status"] == "pending_review"
    assert held["reasons"][0] == "only 3 decisions in arabic here yet"
    assert _comment(client, keys, spam)["status"] == "spam"


def test_thresholds_follow_the_sites_decisions_until_an_operator_sets_them(
    client: FlaskClient,
    keys: Keys,
    post: Callable[..., str],
    drain: Callable[..., int],
    redis_server_url: str,
) -> None:
    run = CliRunner(env={"REDIS_URL": redis_server_url})
    assert _learning(client, keys)["thresholds"] is None
    ham = [post(f"I liked the part about the budget, reader {n} here") for n in range(30)]
    spam = [post(f"Cheap watches at www.watch{n}.example call 0501234567") for n in range(30)]
    drain(approve_below=0.0, reject_above=1.0)  # every one held, then decided
    _decide(client, keys, [(i, "approve") for i in ham] + [(i, "spam") for i in spam])
    drain()

    fitted = _learning(client, keys)["thresholds"]
    assert fitted is not None and fitted["set_by"] == BY_DECISIONS
    assert 0 < fitted["approve_below"] <= fitted["reject_above"] < 1
    set_ = run.invoke(main, [*THRESHOLDS, "--approve-below", "0.1", "--reject-above", "0.99"])
    assert set_.exit_code == 0, set_.output
    assert json.loads(set_.stdout)["thresholds"] == {
        "approve_below": 0.1,
        "reject_above": 0.99,
        "set_by": BY_OPERATOR,
    }
    more = post("Cheap watches again at www.watch99.example call 0501234567")
    drain(approve_below=0.0, reject_above=1.0)
    _decide(client, keys, [(more, "spam")])
    drain()
    assert _learning(client, keys)["thresholds"]["set_by"] == BY_OPERATOR

    auto = run.invoke(main, [*THRESHOLDS, "--auto"])
    assert auto.exit_code == 0 and json.loads(auto.stdout)["thresholds"] is None
    refused = run.invoke(main, [*THRESHOLDS, "--approve-below", "0.9", "--reject-above", "0.1"])
    assert refused.exit_code == 2 and "approve_below" in refused.output


RUSSIAN_SPAM = [
    "Заработок от 5000 рублей в день без вложений, пишите в личку",
    "Ищу людей на удалённую работу, доход от 3000 в день, подробности в личных сообщениях",
    "Криптовалюта растёт, вложи сейчас и получи в два раза больше, пиши мне",
    "Набираю команду для заработка в интернете, всё легально, пиши плюс в личку",
    "Лёгкий доход без опыта, обучение бесплатно, переходи по ссылке в профиле",
    "Продаю рабочую схему заработка на ставках, гарантия результата, пиши в лс",
]
RUSSIAN_READERS = [
    "Спасибо за статью, очень интересно было почитать про историю нашего города",
    "А когда откроют новый мост через реку? Жду уже второй год",
    "Автор прав, в центре давно не хватает парковок и нормальных тротуаров",
    "Были там летом с детьми, музей стоит того, только очередь большая",
    "Интересно, сколько в итоге потратили на ремонт этой дороги",
]
MORE_RUSSIAN_SPAM = "Подработка на дому, доход от 2000 в день, пиши в личку за подробностями"


def test_spam_decisions_alone_do_not_push_a_languages_ham_towards_spam(
    client: FlaskClient, keys: Keys, post: Callable[..., str], drain: Callable[..., int]
) -> None:
    def elsewhere(body: str) -> float:
        """The score the same comment gets at a site that decided nothing."""
        payload = comment_body(body, author={"name": "A", "email": "a@mail.example", "url": ""})
        response = client.post("/v1/comments", json=payload, headers=keys.site("fresh"))
        drain()
        got = client.get(f"/v1/comments/{response.json['id']}", headers=keys.site("fresh"))
        return float(got.json["score"])

    spam = [post(body) for body in RUSSIAN_SPAM]
    drain(approve_below=0.0, reject_above=1.0)
    _decide(client, keys, [(i, "spam") for i in spam])
    drain()
    readers = [post(body) for body in RUSSIAN_READERS[:2]]
    drain()

    # Taught only by spam, the site's model may not lift Russian ham into the queue.
    for comment_id, body in zip(readers, RUSSIAN_READERS, strict=False):
        comment = _comment(client, keys, comment_id)
        assert comment["status"] == "approved"
        assert comment["score"] == pytest.approx(elsewhere(body), rel=1e-6)

    readers += [post(body) for body in RUSSIAN_READERS[2:]]
    drain()
    _decide(client, keys, [(i, "approve") for i in readers])
    drain()
    # With ham decided too, what the spam taught reaches new spam in that language.
    more = post(MORE_RUSSIAN_SPAM)
    drain()
    moved = _logit(_comment(client, keys, more)["score"]) - _logit(elsewhere(MORE_RUSSIAN_SPAM))
    assert moved > 1.0  # log-odds towards spam, as far as five ham decisions allow


def _logit(p: float) -> float:
    return math.log(p / (1 - p))
