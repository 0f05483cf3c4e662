"""Train the spam model, choose its service thresholds and write the file and its card."""

from __future__ import annotations

import math
import platform
import zipfile
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import skops.io
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from model.data import Example, describe_file, read_examples
from model.evaluate import compute_metrics
from model.pipeline import RANDOM_STATE, build_pipeline
from service.scoring import (
    TRUSTED_TYPES,
    ModelCard,
    ModelIntegrityError,
    audit_types,
    to_document,
    write_card,
)

MAX_HAM_AUTO_REJECT = 0.005  # share of held-out ham the service may reject unseen
MAX_SPAM_AUTO_APPROVE = 0.03  # share of held-out spam the service may publish unseen
FOLDS = 5


def train(data_paths: list[Path], out: Path) -> ModelCard:
    """Fit on the CSVs, pick thresholds from out-of-fold scores, write model and card."""
    examples, data_cards = _read_all(data_paths)
    docs = [to_document(e.item) for e in examples]
    labels = np.array([e.label for e in examples])
    oof = out_of_fold(docs, labels)
    sources = np.array([e.source for e in examples])
    approve_below, reject_above = choose_thresholds(labels, oof, sources)
    pipeline = build_pipeline().fit(docs, labels)
    _dump(pipeline, out)
    extra = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": data_cards,
        "versions": _versions(),
        "metrics": _held_out_metrics(examples, labels, oof, approve_below, reject_above),
        "thresholds": _threshold_notes(),
        "pipeline": _pipeline_notes(pipeline),
        "trusted_types": TRUSTED_TYPES,
    }
    return write_card(out, approve_below, reject_above, extra)


def _read_all(data_paths: list[Path]) -> tuple[list[Example], list[dict[str, object]]]:
    examples: list[Example] = []
    cards = []
    for path in data_paths:
        rows = read_examples(path)
        cards.append(describe_file(path, rows))
        examples += rows
    if len({e.label for e in examples}) < 2:
        raise ValueError("training data needs both spam and ham rows")
    return examples, cards


def out_of_fold(docs: list[str], labels: np.ndarray) -> np.ndarray:
    """Return each row's P(spam) from a model that did not see it (stratified k-fold)."""
    folds = max(2, min(FOLDS, int(np.bincount(labels).min())))
    cv = StratifiedKFold(n_splits=folds, shuffle=True, random_state=RANDOM_STATE)
    proba = cross_val_predict(build_pipeline(), docs, labels, cv=cv, method="predict_proba")
    return np.asarray(proba[:, 1], dtype=float)


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


def _held_out_metrics(
    examples: list[Example], labels: np.ndarray, oof: np.ndarray, approve: float, reject: float
) -> dict[str, Any]:
    metrics: dict[str, Any] = {"estimate": f"{FOLDS}-fold stratified out-of-fold"}
    metrics |= compute_metrics(labels, oof, approve, reject)
    sources = sorted({e.source for e in examples})
    if len(sources) > 1:
        by_source = np.array([e.source for e in examples])
        metrics["by_source"] = {
            s: compute_metrics(labels[by_source == s], oof[by_source == s], approve, reject)
            for s in sources
        }
    return metrics


def _dump(pipeline: Any, out: Path) -> None:
    # numpy ints in the vocabulary would each become a file inside the archive (60k of them).
    word = pipeline.named_steps["features"].transformer_list[0][1]
    word.vocabulary_ = {term: int(index) for term, index in word.vocabulary_.items()}
    out.parent.mkdir(parents=True, exist_ok=True)
    skops.io.dump(pipeline, out, compression=zipfile.ZIP_DEFLATED)
    # Refuse to ship a file the service would refuse to load.
    try:
        audit_types(out.read_bytes())
    except ModelIntegrityError:
        out.unlink()
        raise


def _versions() -> dict[str, str]:
    packages = ("scikit-learn", "skops", "numpy", "scipy")
    return {"python": platform.python_version()} | {p: version(p) for p in packages}


def _threshold_notes() -> dict[str, Any]:
    return {
        "method": "quantiles of out-of-fold P(spam), in each data source separately, the "
        "strictest kept: reject_above keeps held-out ham auto-reject <= max_ham_auto_reject, "
        "approve_below keeps held-out spam auto-approve <= max_spam_auto_approve; "
        "clamped to either side of 0.5",
        "max_ham_auto_reject": MAX_HAM_AUTO_REJECT,
        "max_spam_auto_approve": MAX_SPAM_AUTO_APPROVE,
    }


def _pipeline_notes(pipeline: Any) -> dict[str, Any]:
    word = pipeline.named_steps["features"].transformer_list[0][1]
    classifier = pipeline.named_steps["classifier"]
    return {
        "steps": "word tf-idf 1-3 grams + char_wb 2-5 hashed tf-idf -> LogisticRegression",
        "word_vocabulary": len(word.vocabulary_),
        "C": classifier.C,
    }
