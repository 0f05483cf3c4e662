"""Load the hash-checked model file and score comments with reasons."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import TYPE_CHECKING, Any

from service import features, learning
from service.features import (
    DOMAIN_PREFIX,
    EMAIL,
    EMAIL_DOMAIN_PREFIX,
    LINK,
    PHONE,
    PRICE,
    SIGNAL_PREFIX,
    TIME_LINK,
    USERNAME,
)
from service.model_file import (
    CARD_FORMAT,
    CHAR_STEP,
    CLASSIFIER_STEP,
    FEATURES_STEP,
    TRUSTED_TYPES,
    WORD_STEP,
    ModelCard,
    ModelIntegrityError,
    audit_types,
    card_path,
    file_sha256,
    parse_card,
    read_verified,
    split_pipeline,
    verify_model_file,
    write_card,
)
from service.settings import DEFAULT_MODEL_PATH

if TYPE_CHECKING:  # numpy, scikit-learn and skops load only in processes that score
    from sklearn.pipeline import Pipeline

    from service.learning import SiteModel
    from service.linear_text import FeatureRow, LinearText

__all__ = [
    "DEFAULT_MODEL_PATH",
    "CHAR_STEP",
    "CLASSIFIER_STEP",
    "FEATURES_STEP",
    "WORD_STEP",
    "CARD_FORMAT",
    "TRUSTED_TYPES",
    "ModelCard",
    "ModelIntegrityError",
    "Score",
    "Scorer",
    "ScoringInput",
    "audit_types",
    "card_path",
    "file_sha256",
    "parse_card",
    "to_document",
    "verify_model_file",
    "write_card",
]

MAX_REASONS = 5
MIN_REASON_WEIGHT = 0.05  # log-odds; below this a feature is noise, not a reason
# Up to this many comments are scored one by one in plain Python (about 0.13 ms each);
# scikit-learn's two transforms cost about 1.4 ms per batch, then 0.07 ms per comment.
SMALL_BATCH = 16


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


class Scorer:
    """A loaded, verified model that scores batches of comments."""

    def __init__(self, pipeline: Pipeline, card: ModelCard) -> None:
        import numpy as np
        from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

        from service.linear_text import LinearText

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
        self._filler = ENGLISH_STOP_WORDS  # single words too common to explain anything
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
        self, items: Sequence[ScoringInput], learned: Sequence[SiteModel | None] = ()
    ) -> list[Score]:
        """Score a batch; each result depends only on its own input and its site's model.

        `learned` pairs each item with what its site's moderators taught (or None): its
        log-odds are added to the shipped model's, and its words join the reasons.
        """
        if not items:
            return []
        docs = [to_document(item) for item in items]
        margins, rows = self._margins(docs, any(m is not None and m.weights for m in learned))
        scores = []
        for n, (margin, row, doc) in enumerate(zip(margins, rows, docs, strict=True)):
            site = learned[n] if learned else None
            found = None
            if site is not None and site.weights:
                found = learning.features(doc, self._tokenize, row.chars)
                margin += site.margin(found)
            p = _sigmoid(margin)
            # Comments published unseen need no reasons; skipping them keeps the hot path short.
            if p < self.card.approve_below:
                scores.append(Score(p, ()))
                continue
            taught = list(site.terms(found)) if site is not None and found is not None else []
            scores.append(Score(p, self._reasons(row, doc, taught)))
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
        found = learning.features(doc, self._tokenize, rows[0].chars)
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

        from service.linear_text import FeatureRow

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
        terms += taught
        terms.sort(key=lambda term: -term[1])  # stable: the shipped model's terms first on ties
        ranked = [
            t
            for t, weight in terms
            if weight >= MIN_REASON_WEIGHT and t not in self._filler and len(t) >= 2
        ]
        return pick_reasons(ranked, " ".join(self._tokenize(doc)))


def _bucket_rows(matrix: Any) -> list[list[int]]:
    """The column indices of each row of a CSR matrix, as lists of ints."""
    columns, bounds = matrix.indices.tolist(), matrix.indptr.tolist()
    return [columns[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]


def _sigmoid(margin: float) -> float:
    if margin >= 0:
        return 1.0 / (1.0 + math.exp(-margin))
    odds = math.exp(margin)  # never overflows for a negative margin
    return odds / (1.0 + odds)


def to_document(item: ScoringInput) -> str:
    """Build the text the model reads for one input (training uses the same function)."""
    return features.document(item.body, item.author_name, item.author_email, item.author_url)


_TOKEN_TEXT = {
    LINK: "contains a link",
    EMAIL: "contains an e-mail address",
    PHONE: "contains a phone number",
    USERNAME: "mentions an @handle",
    PRICE: "mentions a price",
    TIME_LINK: "links to a moment of a video",
    "sig_author_name_url": "author name is a URL",
    "sig_author_url": "author gave a website",
    "sig_many_links": "several links",
    "sig_shouting": "written in capitals",
    "sig_caps_words": "words in capitals",
    "sig_author_slogan": "author name is a slogan",
    "sig_repeat_chars": "repeated characters",
    "sig_mixed_script": "mixed alphabets in one word",
    "sig_hidden_chars": "hidden characters",
    "sig_styled_letters": "styled letters",
}


_TOKEN_STARTS = ("[", DOMAIN_PREFIX, EMAIL_DOMAIN_PREFIX, SIGNAL_PREFIX)


def describe_token(term: str) -> str | None:
    """Return a short human string for a document term or phrase, None if it explains nothing."""
    words = term.split()
    if len(words) > 1:
        # Phrases half made of tokens (or spanning the signal tail) read as noise.
        return None if any(w.startswith(_TOKEN_STARTS) for w in words) else f'"{term}"'
    if term in _TOKEN_TEXT:
        return _TOKEN_TEXT[term]
    if term.startswith(DOMAIN_PREFIX):
        return f"link to {term.removeprefix(DOMAIN_PREFIX)}"
    # The e-mail's domain may weigh in the score, but reasons reach sites: it never shows.
    return None if term.startswith(_TOKEN_STARTS) else f'"{term}"'


def pick_reasons(ranked: Sequence[str], text: str) -> tuple[str, ...]:
    """Turn features ranked by weight into at most MAX_REASONS phrases a moderator can read."""
    chosen: list[str] = []
    for term in ranked:
        reason = describe_token(term)
        if reason is None or reason in chosen:
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
