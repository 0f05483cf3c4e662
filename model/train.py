"""Train the spam model, choose its service thresholds and write the file and its card."""

from __future__ import annotations

import platform
import zipfile
from collections import Counter
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any

import numpy as np
import skops.io

from model.data import Example, describe_file, read_examples
from model.evaluate import compute_metrics
from model.fit import FOLDS, MAX_HAM_AUTO_REJECT, MAX_SPAM_AUTO_APPROVE, fit_model, groups_of
from model.pipeline import DEFAULT_C
from service.moderation.rules import dominant_script
from service.scoring.document import to_document
from service.scoring.model_file import (
    CLASSIFIER_STEP,
    TRUSTED_TYPES,
    ModelCard,
    ModelIntegrityError,
    audit_types,
    split_pipeline,
    write_card,
)


def train(data_paths: list[Path], out: Path) -> ModelCard:
    """Fit on the CSVs, pick thresholds from out-of-fold scores, write model and card."""
    examples, data_cards = _read_all(data_paths)
    docs = [to_document(e.item) for e in examples]
    labels = np.array([e.label for e in examples])
    fitted = fit_model(docs, labels, np.array([e.source for e in examples]), groups_of(examples))
    approve_below, reject_above = fitted.approve_below, fitted.reject_above
    _dump(fitted.pipeline, out)
    extra = {
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data": data_cards,
        "versions": _versions(),
        "metrics": _held_out_metrics(examples, labels, fitted.oof, approve_below, reject_above),
        "thresholds": _threshold_notes(),
        "pipeline": _pipeline_notes(fitted.pipeline),
        "trusted_types": TRUSTED_TYPES,
        "scripts": trained_scripts(examples),
    }
    return write_card(out, approve_below, reject_above, extra)


#: A script is one the model was trained on when this share of its comments is written in it.
SCRIPT_SHARE = 0.05


def trained_scripts(examples: list[Example]) -> list[str]:
    """The scripts that at least SCRIPT_SHARE of the training comments are written in: the
    service trusts the model alone to reject only in these (docs/policy.md)."""
    counts = Counter(dominant_script(e.item.body) for e in examples)
    counts.pop("", None)
    return sorted(s for s, n in counts.items() if n >= SCRIPT_SHARE * len(examples))


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


def _held_out_metrics(
    examples: list[Example], labels: np.ndarray, oof: np.ndarray, approve: float, reject: float
) -> dict[str, Any]:
    metrics: dict[str, Any] = {
        "estimate": f"{FOLDS}-fold out-of-fold, stratified, whole videos held out together"
    }
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
    _, word = split_pipeline(pipeline)
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
        "calibration": "Platt sigmoid fitted on 5-fold out-of-fold SVM margins, folded into "
        "the saved LogisticRegression weights",
        "folds": "5 stratified folds; rows of one TubeSpam video always share a fold, so "
        "every comment is scored by a model that never saw its video",
        "method": "quantiles of out-of-fold calibrated P(spam), in each data source "
        "separately, the "
        "strictest kept: reject_above keeps held-out ham auto-reject <= max_ham_auto_reject, "
        "approve_below keeps held-out spam auto-approve <= max_spam_auto_approve; "
        "clamped to either side of 0.5",
        "max_ham_auto_reject": MAX_HAM_AUTO_REJECT,
        "max_spam_auto_approve": MAX_SPAM_AUTO_APPROVE,
    }


def _pipeline_notes(pipeline: Any) -> dict[str, Any]:
    _, word = split_pipeline(pipeline)
    classifier = pipeline.named_steps[CLASSIFIER_STEP]
    return {
        "steps": "word tf-idf 1-3 grams + hashed char 4-gram tf-idf -> LinearSVC, "
        "Platt-calibrated and saved as LogisticRegression weights",
        "word_vocabulary": len(word.vocabulary_),
        "svm_C": DEFAULT_C,
        "features": int(classifier.coef_.shape[1]),
    }
