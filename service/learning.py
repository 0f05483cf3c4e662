"""What a site's moderators teach: log-odds learned online, added to the shipped model's.

The shipped model knows the languages and spam of its training data. Each site's own
decisions (approve = ham, spam = spam) train a second, small linear model over the
comment's words, word pairs and character 4-grams, hashed so that any language works
without a vocabulary. Its margin is added to the shipped model's log-odds, so it learns
only what the shipped model gets wrong at that site. One logistic-loss step per decision,
with a per-feature step size (AdaGrad): features seen often move less each time.
"""

from __future__ import annotations

import math
import re
import zlib
from itertools import repeat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

#: Hash space of the learned features (a power of two); collisions are rare at one site's
#: vocabulary.
BUCKETS = 1 << 20
#: AdaGrad's base step: 1.0 beat 0.5 and 2.0 over English, Russian, Indonesian and Arabic
#: streams in bench/quality's online protocol (docs/model.md).
LEARNING_RATE = 1.0
_CHAR_GRAMS = re.compile(r"(?=(\S{4}))")


@dataclass(frozen=True, slots=True)
class Features:
    """A comment's learned features: buckets, each at `value` (unit length in all)."""

    buckets: frozenset[int]
    value: float
    #: The comment's words in order: its word and word-pair features, named, for reasons.
    words: tuple[str, ...]

    def terms(self) -> Iterator[tuple[int, str]]:
        """Each word and word-pair feature as (bucket, text)."""
        for word in self.words:
            yield _bucket("w " + word), word
        for a, b in zip(self.words, self.words[1:], strict=False):
            yield _bucket(f"p {a} {b}"), f"{a} {b}"


def features(doc: str, tokenize: Callable[[str], list[str]]) -> Features:
    """The document's words, word pairs and character 4-grams, hashed into BUCKETS."""
    words = tokenize(doc)
    names = ["w " + w for w in words]
    names += [f"p {a} {b}" for a, b in zip(words, words[1:], strict=False)]
    names += ["c " + gram for gram in _CHAR_GRAMS.findall(doc)]
    crc, mask = zlib.crc32, BUCKETS - 1
    buckets = frozenset([crc(name.encode()) & mask for name in names])
    value = 1.0 / math.sqrt(len(buckets)) if buckets else 0.0
    return Features(buckets, value, tuple(words))


def _bucket(name: str) -> int:
    # crc32: stable across processes (unlike hash()) and a C call, so cheap per feature.
    return zlib.crc32(name.encode()) & (BUCKETS - 1)


@dataclass
class SiteModel:
    """One site's learned weights and the sums of squared gradients AdaGrad scales by."""

    weights: dict[int, float] = field(default_factory=dict)
    squares: dict[int, float] = field(default_factory=dict)

    def margin(self, f: Features) -> float:
        """The log-odds this site's decisions add for a comment with features `f`."""
        # map() with a default for each bucket: the loop runs in C, not in a generator.
        return f.value * sum(map(self.weights.get, f.buckets, repeat(0.0, len(f.buckets))))

    def terms(self, f: Features) -> Iterable[tuple[str, float]]:
        """Each word or word pair of the comment with the log-odds it adds here."""
        get = self.weights.get
        return ((text, f.value * w) for b, text in f.terms() if (w := get(b, 0.0)))

    def step(self, f: Features, label: int, probability: float) -> dict[int, tuple[float, float]]:
        """Learn one decision on a comment scored `probability`; return the changes made.

        The changes are (weight, squared gradient) increments per bucket, to be added to the
        stored copy, so that workers learning side by side add up instead of overwriting.
        """
        gradient = (label - probability) * f.value
        if not gradient:
            return {}
        squared = gradient * gradient
        changes = {}
        for b in f.buckets:
            total = self.squares.get(b, 0.0) + squared
            delta = LEARNING_RATE * gradient / math.sqrt(total)
            self.squares[b] = total
            self.weights[b] = self.weights.get(b, 0.0) + delta
            changes[b] = (delta, squared)
        return changes
