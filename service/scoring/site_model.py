"""The site's learned model: log-odds learned online from its moderators, added to the shipped one.

The shipped model knows the languages and spam of its training data. Each site's own
decisions (approve = ham, spam = spam) train a second, small linear model over the
comment's words, word pairs and character 4-grams, hashed so that any language works
without a vocabulary. Its margin is added to the shipped model's log-odds, so it learns
only what the shipped model gets wrong at that site. One logistic-loss step per decision,
with a per-feature step size (AdaGrad): features seen often move less each time, and a
decision the model already agreed with moves little.
"""

from __future__ import annotations

import math
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import repeat

#: Hash space of the learned word and word-pair features (a power of two); collisions are
#: rare at one site's vocabulary. Character buckets follow, numbered from BUCKETS up.
BUCKETS = 1 << 20
#: AdaGrad's base step, chosen by replaying streams of decisions (docs/model.md).
LEARNING_RATE = 2.0
#: Where a feature's sum of squared gradients starts, so that confirming a verdict the model
#: was already sure of takes a small step, not the full rate (docs/model.md).
INITIAL_SQUARES = 1e-3
_PAIR_MIX = 0x9E3779B1  # an odd multiplier (Knuth's golden ratio hash), so pairs spread


@dataclass(frozen=True, slots=True)
class Features:
    """A comment's learned features: buckets, each at `value` (unit length in all)."""

    buckets: frozenset[int]
    value: float
    #: The comment's words in order, and the buckets of its words then of its word pairs.
    words: tuple[str, ...]
    named: tuple[int, ...]

    def terms(self) -> Iterator[tuple[int, str]]:
        """Each word and word-pair feature as (bucket, text), for reasons."""
        words, n = self.words, len(self.words)
        for i, bucket in enumerate(self.named):
            yield bucket, words[i] if i < n else f"{words[i - n]} {words[i - n + 1]}"


def features(
    doc: str, tokenize: Callable[[str], list[str]], char_buckets: Iterable[int] = ()
) -> Features:
    """The document's words and word pairs hashed into BUCKETS, then its character buckets.

    `char_buckets` are the shipped model's own hashed character 4-grams of the document,
    which scoring has already computed: they enter above BUCKETS, at no extra cost.
    """
    words = tokenize(doc)
    # crc32: stable across processes (unlike hash()) and a C call. A pair's bucket mixes its
    # words' hashes, so no pair's text is built unless it becomes a reason.
    crc, mask = zlib.crc32, BUCKETS - 1
    hashes = [crc(word.encode()) for word in words]
    pairs = [(a * _PAIR_MIX) ^ b for a, b in zip(hashes, hashes[1:], strict=False)]
    named = tuple([h & mask for h in hashes] + [(h >> 11) & mask for h in pairs])
    buckets = frozenset(named).union([BUCKETS + c for c in char_buckets])
    value = 1.0 / math.sqrt(len(buckets)) if buckets else 0.0
    return Features(buckets, value, tuple(words), named)


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
        return ((text, f.value * w) for b, text in f.terms() if (w := get(b)))

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
            before = self.squares.get(b)
            total = (INITIAL_SQUARES if before is None else before) + squared
            delta = LEARNING_RATE * gradient / math.sqrt(total)
            self.squares[b] = total
            self.weights[b] = self.weights.get(b, 0.0) + delta
            changes[b] = (delta, total - (before or 0.0))
        return changes
