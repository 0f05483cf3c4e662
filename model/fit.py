"""Fit the calibrated model and choose its service thresholds on held-out scores."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, cross_val_predict
from sklearn.pipeline import Pipeline

from model.data import Example
from model.pipeline import RANDOM_STATE, build_pipeline, calibrated

MAX_HAM_AUTO_REJECT = 0.005  # share of held-out ham the service may reject unseen
MAX_SPAM_AUTO_APPROVE = 0.03  # share of held-out spam the service may publish unseen
FOLDS = 5


@dataclass(frozen=True)
class Fitted:
    """A calibrated pipeline, its thresholds and the out-of-fold P(spam) they came from."""

    pipeline: Pipeline
    approve_below: float
    reject_above: float
    oof: np.ndarray


def fit_model(
    docs: Sequence[str],
    labels: np.ndarray,
    sources: np.ndarray | None = None,
    groups: np.ndarray | None = None,
) -> Fitted:
    """Fit the SVM, calibrate it on out-of-fold margins, pick thresholds on the same scores."""
    margins = out_of_fold_margins(docs, labels, groups)
    slope, intercept = platt(margins, labels)
    oof = _sigmoid(slope * margins + intercept)
    approve, reject = choose_thresholds(labels, oof, sources)
    pipeline = calibrated(build_pipeline().fit(list(docs), labels), slope, intercept)
    return Fitted(pipeline, approve, reject, oof)


def out_of_fold_margins(
    docs: Sequence[str], labels: np.ndarray, groups: np.ndarray | None = None
) -> np.ndarray:
    """Return each row's SVM margin from a model that saw neither it nor its group."""
    # Whole videos held out: a new site's spam differs from the training sites' like this.
    if groups is None or len(np.unique(groups)) < 2:  # nothing to hold out whole
        groups = np.arange(len(labels))
    folds = max(2, min(FOLDS, int(np.bincount(labels).min()), len(np.unique(groups))))
    cv = StratifiedGroupKFold(n_splits=folds, shuffle=True, random_state=RANDOM_STATE)
    margins = cross_val_predict(
        build_pipeline(), list(docs), labels, groups=groups, cv=cv, method="decision_function"
    )
    return np.asarray(margins, dtype=float)


def groups_of(examples: Sequence[Example]) -> np.ndarray:
    """Return a fold group per row: its source's group (video) if it has one, else itself."""
    keys = [f"{e.source}/{e.group}" if e.group else f"row/{i}" for i, e in enumerate(examples)]
    return np.unique(keys, return_inverse=True)[1]


def platt(margins: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    """Fit P(spam) = sigmoid(slope * margin + intercept) on held-out margins."""
    # Nearly unregularised: two parameters, thousands of rows.
    fit = LogisticRegression(C=1e4).fit(margins.reshape(-1, 1), labels)
    return float(fit.coef_[0, 0]), float(fit.intercept_[0])


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return np.asarray(1.0 / (1.0 + np.exp(-x)), dtype=float)


def choose_thresholds(
    labels: np.ndarray, probabilities: np.ndarray, sources: np.ndarray | None = None
) -> tuple[float, float]:
    """Return (approve_below, reject_above) meeting the ham and spam budgets in every source."""
    # Per source, because pooled SMS ham (4.5k rows) would otherwise set the budget for the
    # 0.9k comment ham that the service is actually for.
    sources = np.zeros(len(labels)) if sources is None else sources
    approve, reject = 0.5, 0.5  # never auto-reject below 0.5 nor auto-approve above it
    for source in np.unique(sources):
        mask = sources == source
        ham, spam = probabilities[mask & (labels == 0)], probabilities[mask & (labels == 1)]
        if len(ham):
            reject = max(reject, -_budget_cut(-ham, MAX_HAM_AUTO_REJECT))
        if len(spam):
            approve = min(approve, _budget_cut(spam, MAX_SPAM_AUTO_APPROVE))
    # Round outward so the budgets still hold after rounding.
    return math.floor(approve * 1e4) / 1e4, math.ceil(reject * 1e4) / 1e4


def _budget_cut(scores: np.ndarray, budget: float) -> float:
    # The k+1-th lowest score: at most k = floor(budget * n) scores lie strictly below it.
    ordered = np.sort(scores)
    return float(ordered[min(math.floor(budget * len(ordered)), len(ordered) - 1)])
