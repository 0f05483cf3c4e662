"""The train/test splits of the quality benchmark: T1, T2, S1 and zero-shot sets."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from sklearn.model_selection import train_test_split

from model.data import Example, read_examples

TUBESPAM = "en_tubespam_v1.csv"
SMS = "en_sms_spam_collection_v1.csv"
T1_TEST_GROUP = "05-Shakira"
S1_TEST_SIZE, S1_RANDOM_STATE = 0.3, 42


@dataclass(frozen=True)
class Split:
    """One protocol's training rows (possibly none, for zero-shot) and test rows."""

    protocol: str
    name: str
    train: list[Example]
    test: list[Example]


def t1(data_dir: Path) -> Split:
    """Train on TubeSpam videos 01-04, test on 05-Shakira."""
    rows = read_examples(data_dir / TUBESPAM)
    return _by_group(rows, T1_TEST_GROUP, "T1")


def t2(data_dir: Path) -> Iterator[Split]:
    """Leave one TubeSpam video out, each in turn."""
    rows = read_examples(data_dir / TUBESPAM)
    for group in sorted({e.group for e in rows}):
        yield _by_group(rows, group, "T2")


def s1(data_dir: Path) -> Split:
    """SMS Spam Collection, stratified 70/30 split with random_state 42."""
    rows = read_examples(data_dir / SMS)
    labels = [e.label for e in rows]
    train, test = train_test_split(
        rows, test_size=S1_TEST_SIZE, stratify=labels, random_state=S1_RANDOM_STATE
    )
    return Split("S1", "sms 70/30", list(train), list(test))


def zero_shot(data_dir: Path) -> Iterator[Split]:
    """Every non-English CSV in the data directory, whole, as a test set with no training."""
    for path in sorted(data_dir.glob("*.csv")):
        if not path.name.startswith("en_"):
            yield Split("zero-shot", path.stem, [], read_examples(path))


def _by_group(rows: list[Example], group: str, protocol: str) -> Split:
    train = [e for e in rows if e.group != group]
    test = [e for e in rows if e.group == group]
    return Split(protocol, group, train, test)
