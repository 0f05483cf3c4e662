"""Build the scikit-learn pipeline that turns feature documents into P(spam)."""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from service.scoring.model_file import CHAR_STEP, CLASSIFIER_STEP, FEATURES_STEP, WORD_STEP
from service.scoring.tokens import WORD_TOKEN_PATTERN

#: Every 4 characters inside a run of non-space, cut by one regex (a lookahead with a group).
CHAR_GRAM_PATTERN = r"(?=(\S{4}))"
RANDOM_STATE = 0
#: The SVM's C, chosen on bench/quality's T1, T2 and S1 (docs/model.md, "What was tried").
DEFAULT_C = 1.0


def build_pipeline(c: float = DEFAULT_C) -> Pipeline:
    """Create the untrained pipeline: word and character n-grams, then a linear SVM."""
    union = FeatureUnion([(WORD_STEP, _word_ngrams()), (CHAR_STEP, _char_ngrams())])
    classifier = LinearSVC(C=c, random_state=RANDOM_STATE)
    return Pipeline([(FEATURES_STEP, union), (CLASSIFIER_STEP, classifier)])


def calibrated(pipeline: Pipeline, slope: float, intercept: float) -> Pipeline:
    """Swap a fitted SVM for the LogisticRegression giving sigmoid(slope * margin + intercept).

    Platt scaling is linear in the margin, so it folds into the weights exactly: the saved
    model is one stock LogisticRegression whose predict_proba is already calibrated.
    """
    svm = pipeline.named_steps[CLASSIFIER_STEP]
    folded = LogisticRegression()
    folded.classes_ = np.asarray(svm.classes_)
    folded.coef_ = np.asarray(svm.coef_, dtype=np.float64) * slope
    folded.intercept_ = np.asarray(svm.intercept_, dtype=np.float64) * slope + intercept
    folded.n_features_in_ = int(svm.coef_.shape[1])
    folded.n_iter_ = np.zeros(1, dtype=np.int64)
    return Pipeline(
        [(FEATURES_STEP, pipeline.named_steps[FEATURES_STEP]), (CLASSIFIER_STEP, folded)]
    )


def _word_ngrams() -> TfidfVectorizer:
    # A vocabulary (not hashing) so that scores can be explained by the words behind them.
    # min_df 3: n-grams seen in only two comments are mostly one spammer's repeats or one
    # video's topic (docs/model.md, "What was tried").
    return TfidfVectorizer(
        lowercase=False,  # documents are already casefolded; typed tokens stay upper case
        token_pattern=WORD_TOKEN_PATTERN,
        ngram_range=(1, 3),
        min_df=3,
        max_features=60_000,
        sublinear_tf=True,
    )


def _char_ngrams() -> Pipeline:
    # The regex engine, not a Python loop, cuts the grams: char_wb's signal for less time
    # (docs/model.md, "What was tried").
    hashing = HashingVectorizer(
        analyzer="word",
        token_pattern=CHAR_GRAM_PATTERN,
        lowercase=False,
        n_features=2**18,
        alternate_sign=False,
        norm=None,
    )
    return Pipeline([("hash", hashing), ("tfidf", TfidfTransformer(sublinear_tf=True))])
