"""Learning from moderators: each site's decisions teach a model added to the shipped one."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import pytest
import redis as redis_lib
from click.testing import CliRunner
from flask.testing import FlaskClient

from service import learner, worker
from service.cli import main
from service.scoring import site_model
from service.scoring.document import ScoringInput
from service.scoring.scorer import SMALL_BATCH, Scorer
from service.scoring.site_model import BUCKETS, SiteModel
from service.settings import Settings
from service.storage import keys as rkeys
from service.storage.learned import LearnedStore
from service.storage.streams import DecisionFeed
from tests.conftest import Keys
from tests.factories import FailingScorer, comment_body, with_scorer

# Indonesian gambling promotion and ordinary Indonesian comments: a kind of spam the shipped
# model (English comments and SMS) has never seen, in a language it was not trained on.
GAMBLING = [
    "Main di situs GACORJITU88 pasti maxwin, daftar sekarang bosku",
    "Baru depo 10rb langsung maxwin di GACORJITU88, mantap bosku",
    "GACORJITU88 situs paling gacor hari ini, jackpot tiap hari",
    "Cuma di GACORJITU88 wd cepat, daftar sekarang juga bosku",
    "Slot gacor hari ini ada di GACORJITU88, pasti jackpot",
    "Modal receh bisa maxwin di GACORJITU88, buruan daftar",
    "Mau jackpot? Main di GACORJITU88 aja bosku, pasti bayar",
    "GACORJITU88 terpercaya, depo kecil maxwin besar",
]
ORDINARY = [
    "Lagu ini bikin kangen masa sekolah dulu",
    "Suaranya bagus banget, semoga sukses terus ya",
    "Videonya keren, editannya rapi sekali",
    "Aku dengar lagu ini setiap pagi sebelum kerja",
    "Liriknya dalam, bikin terharu waktu dengar pertama kali",
    "Terima kasih sudah upload, kualitas suaranya jernih",
    "Penampilan live-nya lebih bagus dari versi studio",
    "Kapan konser di Surabaya lagi? Pengen nonton",
]
NEW_GAMBLING = "Yuk main di GACORJITU88, daftar sekarang pasti maxwin bosku"
NEW_ORDINARY = "Lagu ini selalu bikin semangat, suaranya bagus sekali"


def _tokenize(doc: str) -> list[str]:
    return doc.split()


def test_features_are_stable_buckets_of_unit_length() -> None:
    found = site_model.features("daftar sekarang bosku", _tokenize, [3, 7])

    assert found == site_model.features("daftar sekarang bosku", _tokenize, [3, 7])
    words = {b for b in found.buckets if b < BUCKETS}
    assert len(words) == 5 and found.buckets - words == {BUCKETS + 3, BUCKETS + 7}
    assert math.isclose(found.value**2 * len(found.buckets), 1.0)
    # words and word pairs keep their text, for reasons; character buckets have none
    assert {text for _, text in found.terms()} == {
        "daftar",
        "sekarang",
        "bosku",
        "daftar sekarang",
        "sekarang bosku",
    }


def test_a_learned_site_scores_alike_in_small_and_large_batches(scorer: Scorer) -> None:
    model = SiteModel()
    _teach(scorer, model, GAMBLING, 1)
    _teach(scorer, model, ORDINARY, 0)
    items = [ScoringInput(text) for text in [*GAMBLING, *ORDINARY, NEW_GAMBLING, NEW_ORDINARY]]
    assert len(items) > SMALL_BATCH  # the batch goes through scikit-learn, one by one not

    together = scorer.score(items, [model] * len(items))
    alone = [scorer.score([item], [model])[0] for item in items]
    for a, b in zip(together, alone, strict=True):
        assert math.isclose(a.probability, b.probability, rel_tol=1e-9)
        assert a.reasons == b.reasons


def test_a_step_moves_the_margin_towards_the_decision_and_shrinks_with_repeats() -> None:
    model = SiteModel()
    found = site_model.features("daftar sekarang bosku", _tokenize)

    moves = []
    for _ in range(3):
        before = model.margin(found)
        changes = model.step(found, 1, _sigmoid(before))
        moves.append(model.margin(found) - before)
        assert set(changes) == set(found.buckets)
    assert all(m > 0 for m in moves) and moves[0] > moves[1] > moves[2]

    before = model.margin(found)
    model.step(found, 0, _sigmoid(before))
    assert model.margin(found) < before
    assert model.step(found, 1, 1.0) == {}  # nothing left to learn


def test_confirming_a_sure_verdict_teaches_little_correcting_one_much() -> None:
    found = site_model.features("daftar sekarang bosku", _tokenize)
    confirmed, corrected = SiteModel(), SiteModel()
    changes = confirmed.step(found, 0, 0.001)  # ham the model was sure of, approved
    corrected.step(found, 1, 0.001)  # the same, marked spam

    assert -0.1 < confirmed.margin(found) < 0 < 1 < corrected.margin(found)
    # what is stored starts from the same sum of squares as the copy in memory
    assert all(math.isclose(sq, confirmed.squares[b]) for b, (_, sq) in changes.items())


def test_scores_learn_a_new_language_spam_from_decisions(scorer: Scorer) -> None:
    model = SiteModel()
    before = _probability(scorer, NEW_GAMBLING, model)
    ordinary_before = _probability(scorer, NEW_ORDINARY, model)
    _teach(scorer, model, GAMBLING, 1)
    _teach(scorer, model, ORDINARY, 0)

    after = scorer.score([ScoringInput(NEW_GAMBLING)], [model])[0]
    assert before < 0.5 <= after.probability
    assert _probability(scorer, NEW_ORDINARY, model) < max(ordinary_before, 0.5)
    # the words the decisions taught are the reasons, in the comment's own words
    assert any(r in after.reasons for r in ('"gacorjitu88"', '"maxwin"', '"daftar sekarang"'))


def test_reasons_never_show_the_authors_email_domain(scorer: Scorer) -> None:
    item = ScoringInput("Lagu ini keren", author_email="someone@private-mail.example")
    model = SiteModel()
    for _ in range(20):
        scorer.learn(item, model, 1)

    score = scorer.score([item], [model])[0]
    assert score.probability > 0.9 and score.reasons
    assert not any("private-mail" in reason for reason in score.reasons)


def test_a_site_without_decisions_scores_as_the_shipped_model(scorer: Scorer) -> None:
    items = [ScoringInput(text) for text in GAMBLING + ORDINARY]
    plain = scorer.score(items)
    assert scorer.score(items, [SiteModel()] * len(items)) == plain
    assert scorer.score(items, [None] * len(items)) == plain


def test_moderators_decisions_teach_the_workers(
    client: FlaskClient,
    keys: Keys,
    drain: Callable[..., int],
    redis: redis_lib.Redis,
) -> None:
    site, moderator = keys.site("berita"), keys.moderator("berita")
    first = _post(client, site, [NEW_GAMBLING])[0]
    taught = _post(client, site, GAMBLING + ORDINARY)
    drain()
    before = client.get(f"/v1/comments/{first}", headers=site).json["score"]

    for comment_id, text in zip(taught, GAMBLING + ORDINARY, strict=True):
        decision = "spam" if text in GAMBLING else "approve"
        url = f"/v1/moderation/comments/{comment_id}/decision"
        assert client.post(url, json={"decision": decision}, headers=moderator).status_code == 200
    second = _post(client, site, [NEW_GAMBLING])[0]
    drain()

    assert int(redis.hget(rkeys.learned_versions(), "berita")) == len(taught)
    metrics = client.get("/metrics").get_data(as_text=True)
    assert f'modq_learning_steps_total{{site="berita"}} {float(len(taught))}' in metrics
    after = client.get(f"/v1/comments/{second}", headers=site).json
    assert before < 0.5 <= after["score"]
    assert any(r in after["reasons"] for r in ('"gacorjitu88"', '"maxwin"', '"daftar sekarang"'))
    # another site's comments are scored by the shipped model alone
    other = keys.site("other")
    elsewhere = _post(client, other, [NEW_GAMBLING])[0]
    drain()
    elsewhere_score = client.get(f"/v1/comments/{elsewhere}", headers=other).json["score"]
    assert math.isclose(elsewhere_score, before, rel_tol=1e-9)
    assert _unlearned(redis) == 0


def test_reject_and_erased_comments_teach_nothing_and_are_not_retried(
    client: FlaskClient, keys: Keys, drain: Callable[..., int], redis: redis_lib.Redis
) -> None:
    site, moderator = keys.site("berita"), keys.moderator("berita")
    rejected, erased = _post(client, site, GAMBLING[:2])
    drain()
    for comment_id in (rejected, erased):
        url = f"/v1/moderation/comments/{comment_id}/decision"
        decision = "reject" if comment_id == rejected else "spam"
        assert client.post(url, json={"decision": decision}, headers=moderator).status_code == 200
    erase = client.post("/v1/privacy/erase", json={"comment_id": erased}, headers=site)
    assert erase.status_code == 200 and erase.json == {"erased": 1}

    drain()

    assert redis.hget(rkeys.learned_versions(), "berita") is None
    assert not redis.exists(rkeys.learned_weights("berita"))
    assert _unlearned(redis) == 0
    assert redis.xlen(rkeys.decisions_stream()) == 2  # the audit log keeps both


def test_a_worker_sees_what_another_worker_learned(
    scorer: Scorer, settings: Settings, redis: redis_lib.Redis
) -> None:
    teacher, student = LearnedStore(redis, refresh_s=0), LearnedStore(redis, refresh_s=0)
    assert student.models(["berita"]) == {}
    model = teacher.model("berita")
    for text in GAMBLING:
        teacher.add("berita", text, scorer.learn(ScoringInput(text), model, 1)[1])

    seen = student.models(["berita"])["berita"]
    assert seen.weights.keys() == model.weights.keys()
    assert all(math.isclose(seen.weights[b], w) for b, w in model.weights.items())
    item = [ScoringInput(NEW_GAMBLING)]
    assert scorer.score(item, [seen]) == scorer.score(item, [model])

    assert student.forget("berita") and student.models(["berita"]) == {}
    assert isinstance(worker.build(settings, redis).site_models, LearnedStore)


@pytest.fixture
def scorer(settings: Settings) -> Scorer:
    return Scorer.load(settings.model_path)


def _teach(scorer: Scorer, model: SiteModel, texts: Sequence[str], label: int) -> None:
    for text in texts:
        scorer.learn(ScoringInput(text), model, label)


def _probability(scorer: Scorer, text: str, model: SiteModel) -> float:
    return scorer.score([ScoringInput(text)], [model])[0].probability


def _sigmoid(margin: float) -> float:
    return 1.0 / (1.0 + math.exp(-margin))


def _post(client: FlaskClient, headers: dict[str, str], bodies: Sequence[str]) -> list[str]:
    ids = []
    for n, body in enumerate(bodies):
        # Each by another reader, as on a real site: the author is not what is learned here.
        author = {"name": f"Pembaca {n}", "email": f"pembaca{n}@mail{n}.example", "url": ""}
        response = client.post(
            "/v1/comments", json=comment_body(body, author=author), headers=headers
        )
        assert response.status_code == 202
        ids.append(response.json["id"])
    return ids


def _unlearned(redis: redis_lib.Redis) -> int:
    """Decisions not yet handed to a learner, or handed over and not acknowledged."""
    stream = rkeys.decisions_stream()
    [group] = redis.xinfo_groups(stream)
    undelivered = len(redis.xrange(stream, min=f"({group['last-delivered-id'].decode()}"))
    return int(group["pending"]) + undelivered


def test_a_feed_hands_each_decision_to_one_learner(redis: redis_lib.Redis) -> None:
    for n in range(5):
        redis.xadd(rkeys.decisions_stream(), {"id": f"c{n}", "site": "s", "decision": "spam"})
    one, two = DecisionFeed(redis, "one", 60_000), DecisionFeed(redis, "two", 60_000)
    first, second = one.read(3), two.read(3)
    assert [e.comment_id for e in first + second] == [f"c{n}" for n in range(5)]
    one.ack([e.entry_id for e in first])
    assert DecisionFeed(redis, "two", 60_000).read(10) == second  # held, not acked: again


def test_cli_lists_and_forgets_what_a_site_learned(
    scorer: Scorer, redis_server_url: str, redis: redis_lib.Redis
) -> None:
    store = LearnedStore(redis)
    model = store.model("berita")
    for text in GAMBLING[:3]:
        store.add("berita", text, scorer.learn(ScoringInput(text), model, 1)[1])
    run = CliRunner(env={"REDIS_URL": redis_server_url})

    listed = run.invoke(main, ["learned", "list"])
    assert listed.exit_code == 0
    assert f"berita  steps=3  features={len(model.weights)}" in listed.stdout

    assert run.invoke(main, ["learned", "forget", "--site", "berita"]).exit_code == 0
    assert not redis.exists(rkeys.learned_weights("berita"), rkeys.learned_squares("berita"))
    again = run.invoke(main, ["learned", "forget", "--site", "berita"])
    assert again.exit_code == 1 and "nothing learned for berita" in again.output


def test_a_decision_the_model_cannot_score_is_skipped_not_retried(
    client: FlaskClient, keys: Keys, settings: Settings, redis: redis_lib.Redis
) -> None:
    site, moderator = keys.site("berita"), keys.moderator("berita")
    ids = _post(client, site, [GAMBLING[0], "POISON " + GAMBLING[1], GAMBLING[2]])
    worker.build(settings, redis).run(burst=True)
    for comment_id in ids:
        url = f"/v1/moderation/comments/{comment_id}/decision"
        assert client.post(url, json={"decision": "spam"}, headers=moderator).status_code == 200
    taught = learner.build(settings, redis)
    with_scorer(taught, FailingScorer(taught.model.scorer, "POISON"))

    taught.run(burst=True)

    assert int(redis.hget(rkeys.learned_versions(), "berita")) == 2
    assert _unlearned(redis) == 0


def test_a_changed_decision_takes_back_what_the_earlier_one_taught(
    client: FlaskClient, keys: Keys, drain: Callable[..., int], redis: redis_lib.Redis
) -> None:
    site, moderator = keys.site("berita"), keys.moderator("berita")
    probe = _post(client, site, [NEW_GAMBLING])[0]  # by the same reader as each probe below
    decided = _post(client, site, [GAMBLING[0]])[0]
    drain()
    shipped = client.get(f"/v1/comments/{probe}", headers=site).json["score"]
    url = f"/v1/moderation/comments/{decided}/decision"

    def decide(decision: str) -> float:
        assert client.post(url, json={"decision": decision}, headers=moderator).status_code == 200
        drain()
        again = _post(client, site, [NEW_GAMBLING])[0]
        drain()
        return float(client.get(f"/v1/comments/{again}", headers=site).json["score"])

    approved = decide("approve")  # a slip: this is spam
    spam = decide("spam")
    assert approved < shipped < spam
    assert redis.exists(rkeys.learned_step(decided))
    # "reject" teaches nothing, so taking back "spam" leaves the shipped model's score
    assert math.isclose(decide("reject"), shipped, rel_tol=1e-6)
    assert not redis.exists(rkeys.learned_step(decided))
    assert int(redis.hget(rkeys.learned_versions(), "berita")) == 4  # 2 learned, 2 undone


def test_moderators_see_how_far_their_decisions_taught_the_model(
    client: FlaskClient, keys: Keys, drain: Callable[..., int]
) -> None:
    site, moderator = keys.site("berita"), keys.moderator("berita")
    url = "/v1/moderation/learning"
    assert client.get(url, headers=moderator).json == {"steps": 0, "features": 0}
    ids = _post(client, site, GAMBLING[:2])
    drain()
    for comment_id in ids:
        decision_url = f"/v1/moderation/comments/{comment_id}/decision"
        client.post(decision_url, json={"decision": "spam"}, headers=moderator)
    drain()

    learned = client.get(url, headers=moderator).json
    assert learned["steps"] == 2 and learned["features"] > 20
    assert client.get(url, headers=keys.moderator("other")).json == {"steps": 0, "features": 0}
    refused = client.get(url, headers=site)
    assert refused.status_code == 403 and refused.json["code"] == 403
