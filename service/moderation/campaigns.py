"""Campaigns: near-copies of one comment, found by MinHash over its words.

A comment is read as the model reads it (its document: folded by `text.normalize`, so
swapped look-alike letters and other spellings of an Arabic letter do not split a
campaign, links and phone numbers as tokens, so rotating them does not either) and cut
into its words, punctuation aside; its shingles are its words and pairs of neighbouring
words (in a script written without spaces, runs of three letters). BANDS x ROWS hash
functions keep their least value over the shingles (MinHash), and each band of ROWS
values becomes one key: two comments
whose shingle sets overlap by Jaccard 0.8 share a band 96 % of the time, at 0.5 in 32 %,
at 0.3 in 5 % (one word changed in a 15-word comment leaves 0.82: 97 %).
Comments of fewer than MIN_WORDS distinct words ("great song, love it") are in no campaign:
short ham repeats itself by chance, and would make one campaign of every reader.
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Sequence

import numpy as np

BANDS, ROWS = 6, 4
#: The fewest distinct words a comment needs to be in a campaign.
MIN_WORDS = 6
# Words of letters and digits; a token joined by underscores (the model's signals, such as
# `sig_len_medium`, a user name) is not one.
_WORD = re.compile(r"(?<!\w)[^\W_]+(?!\w)")
#: Above this many letters per word on average, a text is taken as written without spaces.
_LONG_WORDS = 12
# Fixed multipliers and offsets (a seeded draw) so that every worker and every release
# finds the same bands: BANDS x ROWS hash functions, then one per row to fold a band.
_DRAW = np.random.default_rng(20261201)
_MULTIPLY = _DRAW.integers(1, 2**63, BANDS * ROWS, dtype=np.uint64) | np.uint64(1)
_ADD = _DRAW.integers(0, 2**63, BANDS * ROWS, dtype=np.uint64)
_FOLD = _DRAW.integers(1, 2**63, ROWS, dtype=np.uint64) | np.uint64(1)
_PAIR = np.uint64(0x9E3779B1)
_LOW = np.uint64(0xFFFFFFFF)
_HIGH = np.uint64(32)


def units(text: str) -> list[int]:
    """The hashed words of a folded text, in order (in a script written without spaces,
    its runs of three letters)."""
    words = _WORD.findall(text)
    if words and sum(map(len, words)) > _LONG_WORDS * len(words):
        run = "".join(words)
        words = [run[n : n + 3] for n in range(len(run) - 2)]
    return list(map(zlib.crc32, map(str.encode, words)))


def band_keys(texts: Sequence[str]) -> list[tuple[str, ...]]:
    """For each text, folded by `text.normalize` (the model's documents are), the BANDS
    keys its near-copies share; () for one too short to say."""
    found = [units(text) for text in texts]
    long_enough = [n for n, hashes in enumerate(found) if len(set(hashes)) >= MIN_WORDS]
    keys: list[tuple[str, ...]] = [()] * len(texts)
    if not long_enough:
        return keys
    # One numpy pass for the whole batch: the shingles are the words and the pairs of
    # neighbouring words (a pair hashed from its two words' hashes), each through every
    # hash function; a text's MinHash is the least over both.
    counts = np.array([len(found[n]) for n in long_enough], dtype=np.intp)
    words = np.fromiter((h for n in long_enough for h in found[n]), np.uint64, counts.sum())
    starts = np.cumsum(counts) - counts
    pairs = (words[:-1] * _PAIR + words[1:]) & _LOW  # the last word of a text pairs with none
    pair_starts = starts - np.arange(len(starts))
    keep = np.ones(len(pairs), dtype=bool)
    keep[(starts + counts - 1)[:-1]] = False
    minima = np.minimum(
        np.minimum.reduceat(_hashed(words), starts, axis=0),
        np.minimum.reduceat(_hashed(pairs[keep]), pair_starts, axis=0),
    )
    bands = (minima.reshape(-1, BANDS, ROWS) * _FOLD).sum(axis=2) >> _HIGH
    for n, row in zip(long_enough, bands.tolist(), strict=True):
        keys[n] = tuple(f"{band}{value:08x}" for band, value in enumerate(row))
    return keys


def _hashed(shingles: np.ndarray) -> np.ndarray:
    hashed: np.ndarray = (shingles[:, None] * _MULTIPLY + _ADD) >> _HIGH
    return hashed
