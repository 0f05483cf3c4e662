"""Measure a saved model on labelled CSVs at 0.5 and at the card's service thresholds."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from numpy.typing import ArrayLike
from sklearn.metrics import accuracy_score, brier_score_loss, matthews_corrcoef, roc_auc_score

from model.data import read_examples
from service.scoring.scorer import Scorer

BATCH = 256


def evaluate(data_paths: list[Path], model_path: Path) -> dict[str, float | int | None]:
    """Score every row of the CSVs with the model and return a flat dict of metrics."""
    scorer = Scorer.load(model_path)
    labels, probabilities = score_files(data_paths, scorer)
    return compute_metrics(
        labels, probabilities, scorer.card.approve_below, scorer.card.reject_above
    )


def score_files(data_paths: list[Path], scorer: Scorer) -> tuple[np.ndarray, np.ndarray]:
    """Return the labels and P(spam) of every row of the CSVs, scored in batches."""
    examples = [e for path in data_paths for e in read_examples(path)]
    items = [e.item for e in examples]
    probabilities = [
        s.probability
        for i in range(0, len(items), BATCH)
        for s in scorer.score(items[i : i + BATCH])
    ]
    return np.array([e.label for e in examples], dtype=int), np.array(probabilities)


def compute_metrics(
    labels: ArrayLike, probabilities: ArrayLike, approve_below: float, reject_above: float
) -> dict[str, float | int | None]:
    """Return n, ROC AUC, metrics at 0.5 and the auto-reject/approve/review rates."""
    y, p = np.asarray(labels, dtype=int), np.asarray(probabilities, dtype=float)
    spam, ham = p[y == 1], p[y == 0]
    predicted = (p >= 0.5).astype(int)
    both = bool(len(spam) and len(ham))
    return {
        "n": int(len(y)),
        "roc_auc": _round(roc_auc_score(y, p)) if both else None,
        "accuracy": _round(accuracy_score(y, predicted)) if len(y) else None,
        "mcc": _round(matthews_corrcoef(y, predicted)) if len(y) else None,
        "spam_recall": _share(spam >= 0.5),
        "ham_fpr": _share(ham >= 0.5),
        "brier": _round(brier_score_loss(y, p)) if both else None,
        "auto_reject_ham_rate": _share(ham > reject_above),
        "auto_approve_spam_rate": _share(spam < approve_below),
        "review_rate": _share((p >= approve_below) & (p <= reject_above)),
    }


def _share(mask: np.ndarray) -> float | None:
    return _round(float(mask.mean())) if mask.size else None


def _round(value: float) -> float:
    return round(float(value), 4)
