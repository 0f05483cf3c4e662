"""Tests for the training pipeline, threshold choice, train() and evaluate()."""

from __future__ import annotations

import csv
import json
import random
import types
from pathlib import Path

import numpy as np
import pytest
import skops.io

from model.data import Example, read_examples
from model.evaluate import evaluate
from model.fit import (
    MAX_HAM_AUTO_REJECT,
    MAX_SPAM_AUTO_APPROVE,
    choose_thresholds,
    groups_of,
    platt,
)
from model.pipeline import build_pipeline, calibrated
from model.train import train
from service.scoring.document import ScoringInput, to_document
from service.scoring.model_file import (
    TRUSTED_TYPES,
    card_path,
    split_pipeline,
    verify_model_file,
)
from service.scoring.scorer import Scorer
from service.scoring.tokens import WORD_TOKEN_PATTERN, Signal
from service.settings import DEFAULT_MODEL_PATH

HEADER = ["text", "label", "lang", "source", "author", "date", "group", "orig_label"]
METRIC_KEYS = {
    "n", "roc_auc", "accuracy", "mcc", "spam_recall", "ham_fpr",
    "auto_reject_ham_rate", "auto_approve_spam_rate", "review_rate",
}  # fmt: skip


def write_csv(path: Path, rows: list[tuple[str, int]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        for text, label in rows:
            writer.writerow([text, label, "en", "test", "someone", "", "g1", label])
    return path


def synthetic_rows(n: int, seed: int) -> list[tuple[str, int]]:
    rng = random.Random(seed)
    sites = ["bit.ly", "cheap-deals.com", "tinyurl.com", "promo.xyz"]
    hooks = ["check out my channel", "subscribe to my channel", "earn money fast at"]
    topics = ["song", "video", "voice", "chorus", "dance", "lyrics"]
    moods = ["I love this", "the best", "beautiful", "brings back memories of this"]
    rows = []
    for i in range(n):
        if i % 2:
            rows.append((f"{rng.choice(hooks)} {rng.choice(sites)}/{rng.randint(1, 999)}", 1))
        else:
            rows.append((f"{rng.choice(moods)} {rng.choice(topics)} {rng.randint(1, 99)}", 0))
    return rows


def test_pipeline_holds_only_stock_sklearn_components() -> None:
    pipeline = build_pipeline()
    params = pipeline.get_params(deep=True).values()
    estimators = [v for v in params if hasattr(v, "get_params")] + [pipeline]
    assert all(type(e).__module__.startswith("sklearn.") for e in estimators)
    # no preprocessor/tokenizer/analyzer functions that the loader would have to import
    assert not any(isinstance(v, types.FunctionType) for v in params)


def test_training_splits_words_as_the_shipped_model_does() -> None:
    # One definition of the feature tokens' prefixes serves the document builder, the
    # reasons and the training pipeline; the shipped model stores the pattern it was fit with.
    shipped = skops.io.load(DEFAULT_MODEL_PATH, trusted=TRUSTED_TYPES)
    _, shipped_words = split_pipeline(shipped)
    _, words = split_pipeline(build_pipeline())

    assert words.token_pattern == shipped_words.token_pattern == WORD_TOKEN_PATTERN
    document = to_document(ScoringInput("FREE MONEY NOW CLICK http://bit.ly/x", "a", "b@c.io"))
    tokens = words.build_tokenizer()(document)
    assert {"[LINK]", "link_domain_bit.ly", "email_domain_c.io", Signal.SHOUTING} <= set(tokens)


def test_thresholds_keep_ham_and_spam_budgets() -> None:
    rng = np.random.default_rng(0)
    labels = np.array([0] * 1000 + [1] * 300)
    probabilities = np.concatenate([rng.beta(1, 8, 1000), rng.beta(8, 1, 300)])
    approve, reject = choose_thresholds(labels, probabilities)
    assert approve <= 0.5 <= reject
    assert np.mean(probabilities[labels == 0] > reject) <= MAX_HAM_AUTO_REJECT
    assert np.mean(probabilities[labels == 1] < approve) <= MAX_SPAM_AUTO_APPROVE


def test_thresholds_hold_the_budget_in_each_source_not_just_pooled() -> None:
    rng = np.random.default_rng(1)
    # A big easy source and a small hard one: pooled quantiles would fail the hard one.
    labels = np.array([0] * 4000 + [1] * 600 + [0] * 800 + [1] * 800)
    sources = np.array(["sms"] * 4600 + ["tube"] * 1600)
    probabilities = np.concatenate(
        [rng.beta(1, 30, 4000), rng.beta(30, 1, 600), rng.beta(2, 5, 800), rng.beta(5, 2, 800)]
    )
    approve, reject = choose_thresholds(labels, probabilities, sources)
    tube_ham = probabilities[(sources == "tube") & (labels == 0)]
    tube_spam = probabilities[(sources == "tube") & (labels == 1)]
    assert np.mean(tube_ham > reject) <= MAX_HAM_AUTO_REJECT
    assert np.mean(tube_spam < approve) <= MAX_SPAM_AUTO_APPROVE
    assert choose_thresholds(labels, probabilities)[1] < reject


def test_reader_skips_header_echo_rows_and_maps_author(tmp_path: Path) -> None:
    path = tmp_path / "d.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADER)
        writer.writerow(["SMS", 0, "en", "s", "", "", "", "Label"])
        writer.writerow(["hello", 1, "en", "s", "Ann", "", "g", "1"])
    (example,) = read_examples(path)
    assert example.item == ScoringInput(body="hello", author_name="Ann") and example.label == 1


def test_train_then_evaluate_round_trip(tmp_path: Path) -> None:
    data = write_csv(tmp_path / "train.csv", synthetic_rows(160, seed=1))
    out = tmp_path / "m" / "model.skops"
    card = train([data], out)
    assert verify_model_file(out) == card
    raw = json.loads(card_path(out).read_text())
    assert raw["data"][0]["name"] == "train.csv" and raw["data"][0]["rows"] == 160
    assert raw["versions"]["scikit-learn"] and raw["metrics"]["roc_auc"] > 0.95
    assert 0 <= card.approve_below <= 0.5 <= card.reject_above <= 1
    test = write_csv(tmp_path / "test.csv", synthetic_rows(60, seed=2))
    result = evaluate([test], out)
    assert set(result) >= METRIC_KEYS and result["n"] == 60
    assert result["accuracy"] >= 0.95 and result["roc_auc"] >= 0.95
    review = result["review_rate"]
    assert 0 <= review <= 1 and result["auto_reject_ham_rate"] <= 0.05


def test_train_refuses_single_class_data(tmp_path: Path) -> None:
    data = write_csv(tmp_path / "ham.csv", [("nice song", 0), ("great video", 0)])
    with pytest.raises(ValueError, match="both spam and ham"):
        train([data], tmp_path / "m.skops")


def test_evaluate_shipped_model_on_small_csv(tmp_path: Path) -> None:
    rows = [
        ("Check out my channel http://bit.ly/abc please subscribe!!", 1),
        ("FREE entry! Win £1000 cash, text WIN to 87121 now", 1),
        ("Subscribe to my channel for more covers www.youtube.com/user/xyz", 1),
        ("This song gives me chills every single time", 0),
        ("Ok, see you at dinner tonight", 0),
        ("Her voice is amazing in the second chorus", 0),
    ]
    result = evaluate([write_csv(tmp_path / "small.csv", rows)], DEFAULT_MODEL_PATH)
    assert result["n"] == 6
    assert result["roc_auc"] == 1.0 and result["mcc"] == 1.0
    assert result["ham_fpr"] == 0.0 and result["spam_recall"] == 1.0
    scorer = Scorer.load(DEFAULT_MODEL_PATH)
    approve, reject = scorer.card.approve_below, scorer.card.reject_above
    probabilities = [s.probability for s in scorer.score([ScoringInput(t) for t, _ in rows])]
    in_between = sum(approve <= p <= reject for p in probabilities) / len(rows)
    assert result["review_rate"] == pytest.approx(in_between, abs=1e-4)


def test_calibration_folds_exactly_into_a_logistic_regression() -> None:
    rows = synthetic_rows(80, seed=3)
    docs, labels = [t for t, _ in rows], np.array([y for _, y in rows])
    fitted = build_pipeline().fit(docs, labels)
    margins = fitted.decision_function(docs)
    folded = calibrated(fitted, 2.0, -0.5)
    expected = 1 / (1 + np.exp(-(2.0 * margins - 0.5)))
    assert np.allclose(folded.predict_proba(docs)[:, 1], expected)
    assert type(folded.named_steps["classifier"]).__name__ == "LogisticRegression"


def test_platt_scaling_recovers_a_known_sigmoid() -> None:
    rng = np.random.default_rng(4)
    margins = rng.normal(0, 2, 20_000)
    labels = (rng.random(20_000) < 1 / (1 + np.exp(-(1.5 * margins + 0.3)))).astype(int)
    slope, intercept = platt(margins, labels)
    assert slope == pytest.approx(1.5, abs=0.1) and intercept == pytest.approx(0.3, abs=0.1)


def test_fold_groups_keep_a_video_together_and_rows_without_group_apart() -> None:
    def ex(source: str, group: str) -> Example:
        return Example(ScoringInput("x"), 0, source, group)

    rows = [ex("tube", "v1"), ex("tube", "v1"), ex("tube", "v2"), ex("sms", ""), ex("sms", "")]
    groups = groups_of(rows)
    assert groups[0] == groups[1] != groups[2]
    assert len(set(groups[3:])) == 2 and not set(groups[3:]) & set(groups[:3])
