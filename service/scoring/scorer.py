"""Score comments with the hash-checked model file: P(spam) and the reasons behind it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from service.scoring import reasons, site_model
from service.scoring.document import ScoringInput, to_document
from service.scoring.model_file import (
    CLASSIFIER_STEP,
    TRUSTED_TYPES,
    ModelCard,
    ModelIntegrityError,
    audit_types,
    read_verified,
    split_pipeline,
)

if TYPE_CHECKING:  # numpy, scikit-learn and skops load only in processes that score
    from sklearn.pipeline import Pipeline

    from service.scoring.linear import FeatureRow, LinearText
    from service.scoring.site_model import SiteModel

#: Batches up to this size are scored one comment at a time by `LinearText`, larger ones by
#: scikit-learn, whose fixed cost per call outweighs its speed per comment below it
#: (docs/benchmarks.md).
SMALL_BATCH = 16


@dataclass(frozen=True)
class Score:
    """Calibrated P(spam) and the main human-readable reasons behind it; `shipped` is the
    shipped model's own P(spam), before what the site taught it."""

    probability: float
    reasons: tuple[str, ...]
    shipped: float


class Scorer:
    """A loaded, verified model that scores batches of comments."""

    def __init__(self, pipeline: Pipeline, card: ModelCard) -> None:
        import numpy as np
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        from service.scoring.linear import LinearText

        self.card = card
        union, word_vectorizer = split_pipeline(pipeline)
        self._blocks = [transformer for _, transformer in union.transformer_list]
        classifier = pipeline.named_steps[CLASSIFIER_STEP]
        spam_col = int(np.flatnonzero(classifier.classes_ == 1)[0])
        # P(spam) = sigmoid(sign * (x . w + b)): what LogisticRegression.predict_proba
        # computes, without the per-call input checks that cost more than the maths.
        sign = 1.0 if spam_col == 1 else -1.0
        self._coef = sign * np.asarray(classifier.coef_[0], dtype=np.float64)
        self._intercept = sign * float(classifier.intercept_[0])
        self._word_names = word_vectorizer.get_feature_names_out()
        self._tokenize = word_vectorizer.build_tokenizer()
        self._word_coef = self._coef[: len(self._word_names)]
        self._filler: frozenset[str] = ENGLISH_STOP_WORDS
        self._check_shape()
        self._linear: LinearText | None = None
        words, chars = self._blocks
        if LinearText.handles(words, chars):
            self._linear = LinearText(words, chars, self._coef, self._intercept)

    def _check_shape(self) -> None:
        # A file can pass the hash check and still pair features and weights that disagree.
        try:
            self._batch_margins(["probe"])
        except ValueError as exc:
            raise ModelIntegrityError(f"model features and weights disagree: {exc}") from exc

    @classmethod
    def load(cls, model_path: Path) -> Scorer:
        """Verify the file's hash, then load it trusting only TRUSTED_TYPES."""
        import skops.io

        data, card = read_verified(model_path)
        audit_types(data)
        try:
            return cls(skops.io.loads(data, trusted=TRUSTED_TYPES), card)
        except ModelIntegrityError:
            raise
        except Exception as exc:  # skops raises many kinds; to the service they mean one thing
            raise ModelIntegrityError(f"cannot load {model_path.name}: {exc}") from exc

    def score(
        self,
        items: Sequence[ScoringInput],
        site_models: Sequence[SiteModel | None] = (),
        documents: Sequence[str] | None = None,
        limits: Sequence[tuple[float, float] | None] = (),
    ) -> list[Score]:
        """Score a batch; each result depends only on its own input and its site's model.

        `site_models` pairs each item with what its site's moderators taught (or None): its
        log-odds are added to the shipped model's, within the item's `limits` (least, most)
        when given, and its words join the reasons. `documents` are the items'
        `to_document`, when the caller made them already.
        """
        if not items:
            return []
        docs = list(documents) if documents is not None else [to_document(i) for i in items]
        taught_any = any(m is not None and m.weights for m in site_models)
        margins, rows = self._margins(docs, taught_any)
        scores = []
        for n, (margin, row, doc) in enumerate(zip(margins, rows, docs, strict=True)):
            site = site_models[n] if site_models else None
            found, shipped = None, margin
            if site is not None and site.weights:
                found = site_model.features(doc, self._tokenize, row.chars)
                added = site.margin(found)
                bounds = limits[n] if limits else None
                margin += added if bounds is None else min(max(added, bounds[0]), bounds[1])
            p = _sigmoid(margin)
            alone = p if margin == shipped else _sigmoid(shipped)
            # Comments published unseen need no reasons; skipping them keeps the hot path short.
            if p < self.card.approve_below:
                scores.append(Score(p, (), alone))
                continue
            taught = list(site.terms(found)) if site is not None and found is not None else []
            scores.append(Score(p, self._reasons(row, doc, taught), alone))
        return scores

    def learn(
        self, item: ScoringInput, model: SiteModel, label: int
    ) -> tuple[float, dict[int, tuple[float, float]]]:
        """Score a decided comment as its site's model stands, then learn the decision.

        Returns the probability it had and the changes `model.step` made, in one pass over
        the comment.
        """
        doc = to_document(item)
        margins, rows = self._margins([doc], with_chars=True)
        found = site_model.features(doc, self._tokenize, rows[0].chars)
        probability = _sigmoid(margins[0] + model.margin(found))
        return probability, model.step(found, label, probability)

    def _margins(
        self, docs: list[str], with_chars: bool = False
    ) -> tuple[list[float], list[FeatureRow]]:
        """Each document's log-odds and features, by the cheaper path for the batch.

        The character buckets come with the features only `with_chars` (the plain path has
        them anyway); they are for sites with a learned model.
        """
        if self._linear is not None and len(docs) <= SMALL_BATCH:
            scored = [self._linear.score(doc) for doc in docs]
            return [margin for margin, _ in scored], [row for _, row in scored]
        return self._batch_margins(docs, with_chars)

    def _batch_margins(
        self, docs: list[str], with_chars: bool = False
    ) -> tuple[list[float], list[FeatureRow]]:
        import scipy.sparse
        from sklearn import config_context

        from service.scoring.linear import FeatureRow

        # The union's blocks in order, called directly: FeatureUnion would start joblib.
        with config_context(assume_finite=True, skip_parameter_validation=True):
            blocks = [block.transform(docs) for block in self._blocks]
        matrix = scipy.sparse.hstack(blocks, format="csr")
        margins = matrix @ self._coef + self._intercept
        words = blocks[0].tocsr()
        spans = zip(words.indptr[:-1], words.indptr[1:], strict=True)
        chars = _bucket_rows(blocks[1].tocsr()) if with_chars else repeat(())
        rows = [
            FeatureRow(words.indices[a:b], words.data[a:b], buckets)
            for (a, b), buckets in zip(spans, chars, strict=False)
        ]
        return margins.tolist(), rows

    def _reasons(
        self, row: FeatureRow, doc: str, taught: Sequence[tuple[str, float]] = ()
    ) -> tuple[str, ...]:
        import numpy as np

        # A linear model's log-odds split exactly into weight x value per feature.
        columns = np.asarray(row.columns, dtype=np.intp)
        weights = np.asarray(row.values, dtype=np.float64) * self._word_coef[columns]
        terms = [(self._word_names[c], float(w)) for c, w in zip(columns, weights, strict=True)]
        # The shipped model's terms first, so they come first on ties.
        text = " ".join(self._tokenize(doc))
        return reasons.explain([*terms, *taught], text, self._filler)


def _bucket_rows(matrix: Any) -> list[list[int]]:
    """The column indices of each row of a CSR matrix, as lists of ints."""
    columns, bounds = matrix.indices.tolist(), matrix.indptr.tolist()
    return [columns[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def _sigmoid(margin: float) -> float:
    if margin >= 0:
        return 1.0 / (1.0 + math.exp(-margin))
    odds = math.exp(margin)  # never overflows for a negative margin
    return odds / (1.0 + odds)
