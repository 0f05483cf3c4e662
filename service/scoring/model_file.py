"""The model file and its card: the contract model/ writes and the service checks before loading."""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CARD_FORMAT = "modq-model-card/1"
# Step names shared with model/pipeline.py: the scorer finds the explainable word block by them.
FEATURES_STEP, WORD_STEP, CHAR_STEP, CLASSIFIER_STEP = "features", "word", "char", "classifier"
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
_PLAIN_TYPES = {f"builtins.{name}" for name in ("dict", "list", "str", "tuple", "int", "float")}
_HEX64 = re.compile(r"[0-9a-f]{64}")


class ModelIntegrityError(Exception):
    """The model file or its card is missing, altered, unreadable or holds untrusted types."""


@dataclass(frozen=True)
class ModelCard:
    """The JSON card next to a model file: its hash, thresholds and everything else recorded."""

    sha256: str
    version: str
    approve_below: float
    reject_above: float
    raw: dict[str, Any] = field(default_factory=dict, compare=False, hash=False, repr=False)

    @property
    def scripts(self) -> tuple[str, ...]:
        """The scripts of the comments it was trained on ("latin", ...), as the card lists."""
        return tuple(self.raw.get("scripts", ()))


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
    return read_verified(model_path)[1]


def read_verified(model_path: Path) -> tuple[bytes, ModelCard]:
    """Return the model file's bytes and its card, refusing a file that fails the hash check."""
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


def split_pipeline(pipeline: Any) -> tuple[Any, Any]:
    """Return the feature union and its word block, refusing any other shape of model."""
    from sklearn.pipeline import FeatureUnion, Pipeline

    # A file that passes the hash check can still hold the wrong shape of model.
    steps = list(pipeline.named_steps) if isinstance(pipeline, Pipeline) else []
    if steps != [FEATURES_STEP, CLASSIFIER_STEP]:
        raise ModelIntegrityError("model file does not hold a modq pipeline")
    union = pipeline.named_steps[FEATURES_STEP]
    if not isinstance(union, FeatureUnion) or union.transformer_list[0][0] != WORD_STEP:
        raise ModelIntegrityError("model pipeline lacks the word features block")
    blocks = [transformer for _, transformer in union.transformer_list]
    if union.transformer_weights or any(isinstance(b, str) for b in blocks):
        raise ModelIntegrityError("model feature union must be plain: no weights, no drop")
    return union, union.transformer_list[0][1]
