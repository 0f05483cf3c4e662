"""The systems compared: modq, TF-IDF + logistic regression, a char n-gram SVM, bogofilter."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from bench.quality import bogofilter
from model.data import Example
from model.fit import Fitted, fit_model, groups_of
from model.train import trained_scripts
from service.scoring.document import to_document
from service.scoring.model_file import ModelCard
from service.scoring.scorer import Scorer


@dataclass(frozen=True)
class Scored:
    """Test-set probabilities and the thresholds the system acts on."""

    probabilities: np.ndarray
    approve_below: float
    reject_above: float
    decide_at: float = 0.5  # the cut for the binary MCC


def modq(train: Sequence[Example], test: Sequence[Example]) -> Scored:
    """Fit the shipped pipeline and threshold procedure on the training rows only."""
    fitted = trained(train)
    proba = fitted.pipeline.predict_proba([to_document(e.item) for e in test])[:, 1]
    return Scored(np.asarray(proba), fitted.approve_below, fitted.reject_above)


def trained(train: Sequence[Example]) -> Fitted:
    """The shipped pipeline and thresholds, fitted on these rows only."""
    docs = [to_document(e.item) for e in train]
    labels = np.array([e.label for e in train])
    return fit_model(docs, labels, np.array([e.source for e in train]), groups_of(train))


def as_scorer(fitted: Fitted, version: str, train: Sequence[Example] = ()) -> Scorer:
    """The service's scorer over a model fitted here (on `train`), as if loaded from its
    file, its card listing the scripts it was trained on."""
    raw = {"scripts": trained_scripts(list(train))}
    card = ModelCard("", version, fitted.approve_below, fitted.reject_above, raw)
    return Scorer(fitted.pipeline, card)


def shipped(scorer: Scorer, test: Sequence[Example], batch: int = 256) -> Scored:
    """Score rows with a saved model as it is, at its card's thresholds."""
    items = [e.item for e in test]
    proba = [
        s.probability
        for i in range(0, len(items), batch)
        for s in scorer.score(items[i : i + batch])
    ]
    return Scored(np.asarray(proba), scorer.card.approve_below, scorer.card.reject_above)


def baseline(train: Sequence[Example], test: Sequence[Example]) -> Scored:
    """Word TF-IDF + logistic regression with library defaults, on the comment body only."""
    model = make_pipeline(TfidfVectorizer(), LogisticRegression(max_iter=1000))
    model.fit([e.item.body for e in train], [e.label for e in train])
    proba = model.predict_proba([e.item.body for e in test])[:, 1]
    # No thresholds of its own: both at 0.5, so it never sends anything to review.
    return Scored(np.asarray(proba), 0.5, 0.5)


def char_svm(train: Sequence[Example], test: Sequence[Example]) -> Scored:
    """The char n-gram SVM peer: char 2-6-grams, TF-IDF, LinearSVC C 3, on the body only.

    The best of 24 configurations (char or char_wb; 1-3, 2-4, 1-5, 2-6; C 0.3, 1, 3) on
    T1 and T2 (docs/model.md). Uncalibrated: the sigmoid of its margin, cut at 0.5 (margin 0).
    """
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(2, 6), sublinear_tf=True)
    model = make_pipeline(vectorizer, LinearSVC(C=3.0))
    model.fit([e.item.body for e in train], [e.label for e in train])
    margins = model.decision_function([e.item.body for e in test])
    return Scored(1.0 / (1.0 + np.exp(-np.asarray(margins, dtype=float))), 0.5, 0.5)


def bogo(train: Sequence[Example], test: Sequence[Example]) -> Scored:
    """bogofilter trained on the same rows, at its own ternary cutoffs."""
    scores = np.asarray(bogofilter.train_and_score(train, test))
    return Scored(scores, bogofilter.HAM_CUTOFF, bogofilter.SPAM_CUTOFF, bogofilter.SPAM_CUTOFF)
