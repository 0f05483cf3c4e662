"""The fast linear path: the model's features and margin for one comment, in plain Python.

scikit-learn's transforms have a fixed cost per call that dominates small batches
(docs/benchmarks.md). This module reads the same fitted vocabulary, idf weights, hashing and
coefficients and does the same arithmetic a comment at a time: the saved file stays stock
scikit-learn, and tests hold the two paths to the same numbers.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sklearn.feature_extraction.text import HashingVectorizer, TfidfVectorizer
from sklearn.pipeline import Pipeline
from sklearn.utils import murmurhash3_32

_INT32_MIN = -(2**31)


@dataclass(frozen=True)
class FeatureRow:
    """One comment's features: sorted word columns, their tf-idf values, its char buckets."""

    columns: Sequence[int]
    values: Sequence[float]
    #: The hashed character-gram buckets it hits (read by a site's learned model).
    chars: Sequence[int] = ()


class LinearText:
    """Margin of a linear model over [word tf-idf | hashed char tf-idf], one comment at a time."""

    def __init__(
        self, words: TfidfVectorizer, chars: Pipeline, coef: Any, intercept: float
    ) -> None:
        hashing, tfidf = chars.steps[0][1], chars.steps[1][1]
        self._analyze_words: Callable[[str], list[str]] = words.build_analyzer()
        self._vocabulary: dict[str, int] = words.vocabulary_
        self._word_idf = [float(x) for x in words.idf_]
        self._analyze_chars: Callable[[str], list[str]] = hashing.build_analyzer()
        self._buckets = int(hashing.n_features)
        # array('d'): indexing one element gives a Python float at once, unlike numpy.
        self._char_idf = array("d", tfidf.idf_)
        n_words = len(self._word_idf)
        self._word_coef = [float(x) for x in coef[:n_words]]
        self._char_coef = array("d", coef[n_words:])
        self._intercept = intercept

    @staticmethod
    def handles(words: Any, chars: Any) -> bool:
        """Tell whether the fitted blocks are of the shape this arithmetic reproduces."""
        if not (isinstance(words, TfidfVectorizer) and isinstance(chars, Pipeline)):
            return False
        if len(chars.steps) != 2 or not isinstance(chars.steps[0][1], HashingVectorizer):
            return False
        hashing, tfidf = chars.steps[0][1], chars.steps[1][1]
        return (
            _tfidf_shape(words.get_params())
            and _tfidf_shape(tfidf.get_params())
            and not words.binary
            and not hashing.binary
            and hashing.norm is None
            and not hashing.alternate_sign
        )

    def score(self, doc: str) -> tuple[float, FeatureRow]:
        """Return the margin (log-odds) of one document and its features."""
        row = self.word_row(doc)
        words = zip(row.columns, row.values, strict=True)
        margin = self._intercept + sum(self._word_coef[c] * v for c, v in words)
        char_margin, buckets = self._char_margin(doc)
        return margin + char_margin, FeatureRow(row.columns, row.values, buckets)

    def word_row(self, doc: str) -> FeatureRow:
        """The document's word tf-idf row, l2-normalised, columns in ascending order."""
        counts = Counter(
            column
            for term in self._analyze_words(doc)
            if (column := self._vocabulary.get(term)) is not None
        )
        columns = sorted(counts)
        values = [(1.0 + math.log(counts[c])) * self._word_idf[c] for c in columns]
        return FeatureRow(columns, _l2(values))

    def _char_margin(self, doc: str) -> tuple[float, list[int]]:
        counts = Counter(self._bucket(gram) for gram in self._analyze_chars(doc))
        buckets = list(counts)
        if not buckets:
            return 0.0, buckets
        values = _l2([(1.0 + math.log(counts[b])) * self._char_idf[b] for b in buckets])
        margin = sum(self._char_coef[b] * v for b, v in zip(buckets, values, strict=True))
        return float(margin), buckets

    def _bucket(self, gram: str) -> int:
        # FeatureHasher's rule: signed MurmurHash3 of the UTF-8 bytes, seed 0, |h| mod n.
        h = int(murmurhash3_32(gram, seed=0))
        if h == _INT32_MIN:
            return (2**31 - 1 - (self._buckets - 1)) % self._buckets
        return abs(h) % self._buckets


def _tfidf_shape(params: dict[str, Any]) -> bool:
    return bool(params.get("sublinear_tf") and params.get("use_idf") and params.get("norm") == "l2")


def _l2(values: list[float]) -> list[float]:
    norm = math.sqrt(sum(v * v for v in values))
    return [v / norm for v in values] if norm else values
