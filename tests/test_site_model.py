"""The site's learned model: features, steps, and scores that learn from decisions."""

from __future__ import annotations

import math
from collections.abc import Sequence

from service.scoring import site_model
from service.scoring.document import ScoringInput
from service.scoring.scorer import SMALL_BATCH, Scorer
from service.scoring.site_model import BUCKETS, SiteModel
from tests.factories import GAMBLING, NEW_GAMBLING, NEW_ORDINARY, ORDINARY


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


def test_limits_bound_what_the_site_taught(scorer: Scorer) -> None:
    model = SiteModel()
    _teach(scorer, model, GAMBLING, 1)
    items = [ScoringInput(NEW_GAMBLING), ScoringInput(NEW_ORDINARY)]
    shipped = scorer.score(items)
    taught = scorer.score(items, [model] * 2)

    bounded = scorer.score(items, [model] * 2, limits=[(-1.0, 0.5), (0.0, 0.0)])
    assert taught[0].probability > _sigmoid(_logit(shipped[0].probability) + 0.5)
    assert math.isclose(
        bounded[0].probability, _sigmoid(_logit(shipped[0].probability) + 0.5), rel_tol=1e-9
    )
    assert math.isclose(bounded[1].probability, shipped[1].probability, rel_tol=1e-9)
    assert bounded[1].probability < taught[1].probability  # taught alone, it would have moved
    # no limit for an item: what it taught applies whole
    assert scorer.score(items, [model] * 2, limits=[None, None]) == taught


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


def _teach(scorer: Scorer, model: SiteModel, texts: Sequence[str], label: int) -> None:
    for text in texts:
        scorer.learn(ScoringInput(text), model, label)


def _probability(scorer: Scorer, text: str, model: SiteModel) -> float:
    return scorer.score([ScoringInput(text)], [model])[0].probability


def _sigmoid(margin: float) -> float:
    return 1.0 / (1.0 + math.exp(-margin))


def _logit(p: float) -> float:
    return math.log(p / (1 - p))
