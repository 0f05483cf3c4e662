"""Load the hash-checked model file and score comments with reasons."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import skops.io
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS
from sklearn.pipeline import FeatureUnion, Pipeline

from service import features

DEFAULT_MODEL_PATH = (
    Path(__file__).resolve().parents[1] / "model" / "artifacts" / "modq-model.skops"
)
CARD_FORMAT = "modq-model-card/1"
# Step names shared with model/pipeline.py: the scorer finds the explainable word block by them.
FEATURES_STEP, WORD_STEP, CHAR_STEP, CLASSIFIER_STEP = "features", "word", "char", "classifier"
MAX_REASONS = 5
MIN_REASON_WEIGHT = 0.05  # log-odds; below this a feature is noise, not a reason

# Every type the model file may contain. skops treats `trusted` as an addition to its own
# defaults, so audit_types() also enforces this list as the whole allow-list.
TRUSTED_TYPES: list[str] = [
    "numpy.float64",
    "numpy.int64",
    "numpy.ndarray",
    "sklearn.feature_extraction.text.HashingVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.pipeline.FeatureUnion",
    "sklearn.pipeline.Pipeline",
]
# Single words too common to explain anything on their own.
_FILLER = ENGLISH_STOP_WORDS
_PLAIN_TYPES = {f"builtins.{name}" for name in ("dict", "list", "str", "tuple", "int", "float")}

_HEX64 = re.compile(r"[0-9a-f]{64}")


class ModelIntegrityError(Exception):
    """The model file or its card is missing, altered, unreadable or holds untrusted types."""


@dataclass(frozen=True)
class ScoringInput:
    """What the model reads; the worker builds it from a stored comment."""

    body: str
    author_name: str = ""
    author_email: str = ""
    author_url: str = ""


@dataclass(frozen=True)
class Score:
    """Calibrated P(spam) and the main human-readable reasons behind it."""

    probability: float
    reasons: tuple[str, ...]


@dataclass(frozen=True)
class ModelCard:
    """The JSON card next to a model file: its hash, thresholds and everything else recorded."""

    sha256: str
    version: str
    approve_below: float
    reject_above: float
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)


def card_path(model_path: Path) -> Path:
    """Return the card's path for a model file: modq-model.skops -> modq-model.card.json."""
    return model_path.with_name(model_path.stem + ".card.json")


def file_sha256(data: bytes) -> str:
    """Return the hex SHA-256 of a model file's bytes."""
    return hashlib.sha256(data).hexdigest()


def write_card(
    model_path: Path,
    approve_below: float,
    reject_above: float,
    extra: Mapping[str, Any] | None = None,
) -> ModelCard:
    """Write the card for a finished model file, recording its hash, and return it."""
    sha = file_sha256(model_path.read_bytes())
    raw = {"format": CARD_FORMAT, "model_file": model_path.name, **(extra or {})}
    raw |= {"sha256": sha, "version": sha[:12], "size_bytes": model_path.stat().st_size}
    raw |= {"approve_below": approve_below, "reject_above": reject_above}
    card_path(model_path).write_text(json.dumps(raw, indent=2, sort_keys=False) + "\n")
    return parse_card(raw)


def parse_card(raw: Mapping[str, Any]) -> ModelCard:
    """Validate a card's fields; raise ModelIntegrityError if they cannot be trusted."""
    try:
        sha = str(raw["sha256"])
        approve, reject = float(raw["approve_below"]), float(raw["reject_above"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ModelIntegrityError(f"model card lacks a valid field: {exc}") from exc
    if not _HEX64.fullmatch(sha):
        raise ModelIntegrityError("model card sha256 is not 64 hex digits")
    if not 0.0 <= approve <= reject <= 1.0:
        raise ModelIntegrityError("model card thresholds must satisfy 0 <= approve <= reject <= 1")
    version = str(raw.get("version") or sha[:12])
    return ModelCard(sha, version, approve, reject, dict(raw))


def verify_model_file(model_path: Path) -> ModelCard:
    """Check the model file against its card without unpickling anything; return the card."""
    return _read_verified(model_path)[1]


def _read_verified(model_path: Path) -> tuple[bytes, ModelCard]:
    # One read serves both the hash check and the load, so the file cannot change in between.
    try:
        raw = json.loads(card_path(model_path).read_text())
        data = model_path.read_bytes()
    except (OSError, ValueError) as exc:
        raise ModelIntegrityError(f"cannot read model or card for {model_path}: {exc}") from exc
    if not isinstance(raw, dict):
        raise ModelIntegrityError("model card is not a JSON object")
    card = parse_card(raw)
    if file_sha256(data) != card.sha256:
        raise ModelIntegrityError(f"{model_path.name}: SHA-256 does not match its card")
    return data, card


def audit_types(data: bytes) -> None:
    """Refuse a skops file naming any type outside TRUSTED_TYPES; reads JSON, runs nothing."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            schema = json.loads(archive.read("schema.json"))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise ModelIntegrityError(f"not a readable skops file: {exc}") from exc
    untrusted = _type_names(schema) - set(TRUSTED_TYPES) - _PLAIN_TYPES
    if untrusted:
        raise ModelIntegrityError(f"model file holds untrusted types: {sorted(untrusted)}")


def _type_names(node: Any) -> set[str]:
    if isinstance(node, list):
        return set().union(*map(_type_names, node))
    if not isinstance(node, dict):
        return set()
    names = set().union(*map(_type_names, node.values()))
    if "__module__" in node and "__class__" in node:
        names.add(f"{node['__module__']}.{node['__class__']}")
    return names


class Scorer:
    """A loaded, verified model that scores batches of comments."""

    def __init__(self, pipeline: Pipeline, card: ModelCard) -> None:
        self.card = card
        self._features, word_vectorizer = _split_pipeline(pipeline)
        self._classifier = pipeline.named_steps[CLASSIFIER_STEP]
        self._spam_col = int(np.flatnonzero(self._classifier.classes_ == 1)[0])
        self._word_names = word_vectorizer.get_feature_names_out()
        self._tokenize = word_vectorizer.build_tokenizer()
        sign = 1.0 if self._spam_col == 1 else -1.0
        coef = self._classifier.coef_[0][: len(self._word_names)]
        self._word_coef = sign * np.asarray(coef, dtype=float)

    @classmethod
    def load(cls, model_path: Path) -> Scorer:
        """Verify the file's hash, then load it trusting only TRUSTED_TYPES."""
        data, card = _read_verified(model_path)
        audit_types(data)
        try:
            return cls(skops.io.loads(data, trusted=TRUSTED_TYPES), card)
        except ModelIntegrityError:
            raise
        except Exception as exc:  # skops raises many kinds; to the service they mean one thing
            raise ModelIntegrityError(f"cannot load {model_path.name}: {exc}") from exc

    def score(self, items: Sequence[ScoringInput]) -> list[Score]:
        """Score a batch; each result depends only on its own input."""
        if not items:
            return []
        docs = [to_document(item) for item in items]
        matrix = self._features.transform(docs).tocsr()
        probabilities = self._classifier.predict_proba(matrix)[:, self._spam_col]
        words = matrix[:, : len(self._word_names)].tocsr()
        return [
            Score(float(p), self._reasons(words, row, docs[row]))
            for row, p in enumerate(probabilities)
        ]

    def _reasons(self, words: Any, row: int, doc: str) -> tuple[str, ...]:
        # A linear model's log-odds split exactly into weight x value per feature.
        start, end = words.indptr[row], words.indptr[row + 1]
        columns = words.indices[start:end]
        weights = words.data[start:end] * self._word_coef[columns]
        order = np.argsort(-weights, kind="stable")
        ranked = [self._word_names[columns[i]] for i in order if weights[i] >= MIN_REASON_WEIGHT]
        return _pick_reasons(ranked, " ".join(self._tokenize(doc)))


def to_document(item: ScoringInput) -> str:
    """Build the text the model reads for one input (training uses the same function)."""
    return features.document(item.body, item.author_name, item.author_email, item.author_url)


def _split_pipeline(pipeline: Any) -> tuple[Any, Any]:
    # A file that passes the hash check can still hold the wrong shape of model.
    steps = list(pipeline.named_steps) if isinstance(pipeline, Pipeline) else []
    if steps != [FEATURES_STEP, CLASSIFIER_STEP]:
        raise ModelIntegrityError("model file does not hold a modq pipeline")
    union = pipeline.named_steps[FEATURES_STEP]
    if not isinstance(union, FeatureUnion) or union.transformer_list[0][0] != WORD_STEP:
        raise ModelIntegrityError("model pipeline lacks the word features block")
    return union, union.transformer_list[0][1]


def _pick_reasons(ranked: Sequence[str], text: str) -> tuple[str, ...]:
    chosen: list[str] = []
    for term in ranked:
        reason = features.describe_token(term)
        if reason is None or reason in chosen or term in _FILLER or len(term) < 2:
            continue
        if reason.startswith('"'):
            chosen = _add_phrase(chosen, term, text)
        else:
            chosen.append(reason)
        if len(chosen) == MAX_REASONS:
            break
    return tuple(chosen)


def _add_phrase(chosen: list[str], phrase: str, text: str) -> list[str]:
    # "check out my" and "my channel" read better as the one phrase the comment holds.
    result: list[str] = []
    merged_at = None
    for old in chosen:
        joined = _join_phrases(old.strip('"'), phrase, text) if old.startswith('"') else None
        if joined is None:
            result.append(old)
            continue
        phrase = joined
        if merged_at is None:
            merged_at = len(result)
            result.append(old)
    if merged_at is None:
        return [*result, f'"{phrase}"']
    result[merged_at] = f'"{phrase}"'
    return result


def _join_phrases(a: str, b: str, text: str) -> str | None:
    if f" {b} " in f" {a} ":
        return a
    if f" {a} " in f" {b} ":
        return b
    for first, second in ((a.split(), b.split()), (b.split(), a.split())):
        for k in range(min(len(first), len(second)) - 1, 0, -1):
            joined = " ".join(first + second[k:])
            if first[-k:] == second[:k] and f" {joined} " in f" {text} ":
                return joined
    return None
