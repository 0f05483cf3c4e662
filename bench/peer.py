"""Peer: bogofilter classifying the same comments, beside modq's scorer, per comment and in bulk."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

from bench import corpus
from service.scoring.document import ScoringInput
from service.scoring.scorer import Scorer
from service.settings import Settings

_TRAIN = 8000
_TEST = 2000
_PER_PROCESS = 300


def _message(text: corpus.Text) -> bytes:
    return b"From: reader@mail.example\nSubject: comment\n\n" + text.body.encode() + b"\n"


def _write(directory: Path, texts: list[corpus.Text]) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    paths = [directory / f"{n}.eml" for n in range(len(texts))]
    for path, text in zip(paths, texts, strict=True):
        path.write_bytes(_message(text))
    return paths


def _train(db: Path, paths: list[Path], texts: list[corpus.Text]) -> None:
    for flag, label in (("-s", 1), ("-n", 0)):
        names = "\n".join(str(p) for p, t in zip(paths, texts, strict=True) if t.label == label)
        subprocess.run(["bogofilter", "-d", str(db), flag, "-b"], input=names.encode(), check=True)


def split(texts: list[corpus.Text]) -> tuple[list[corpus.Text], list[corpus.Text]]:
    """Training and test texts: 8,000 and 2,000, or 80 / 20 % of a smaller corpus."""
    n_test = min(_TEST, len(texts) // 5)
    n_train = min(_TRAIN, len(texts) - n_test)
    return texts[:n_train], texts[n_train : n_train + n_test]


def bogofilter(tmp: Path, texts: list[corpus.Text]) -> dict[str, float]:
    """Train on one part of the corpus, classify another: per process, and in bulk."""
    train, test = split(texts)
    db = tmp / "bogofilter"
    db.mkdir(parents=True, exist_ok=True)
    _train(db, _write(tmp / "bogo-train", train), train)
    paths = _write(tmp / "bogo-test", test)
    one_by_one = paths[:_PER_PROCESS]
    started = time.perf_counter()
    for path in one_by_one:
        with path.open("rb") as handle:
            subprocess.run(["bogofilter", "-d", str(db)], stdin=handle, check=False)
    per_process = len(one_by_one) / (time.perf_counter() - started)
    started = time.perf_counter()
    out = subprocess.run(
        ["bogofilter", "-d", str(db), "-b", "-T"],
        input="\n".join(map(str, paths)).encode(), capture_output=True, check=False,
    )  # fmt: skip
    bulk = len(paths) / (time.perf_counter() - started)
    verdicts = [line.split()[1] for line in out.stdout.decode().splitlines() if line.strip()]
    if len(verdicts) != len(test):
        raise RuntimeError(f"bogofilter -b classified {len(verdicts)} of {len(test)}")
    correct = sum((v == "S") == bool(t.label) for v, t in zip(verdicts, test, strict=True))
    return {"per_process_per_s": per_process, "bulk_per_s": bulk, "accuracy": correct / len(test)}


def modq_scorer(texts: list[corpus.Text]) -> dict[str, float]:
    """modq's scorer in-process on the same test comments: one at a time, and in batches of 256."""
    scorer = Scorer.load(Settings.from_env().model_path)
    test = split(texts)[1]
    items = [ScoringInput(t.body, "Reader", "reader@mail.example", "") for t in test]
    scorer.score(items[:256])
    singles = items[:500]
    started = time.perf_counter()
    for item in singles:
        scorer.score([item])
    single = len(singles) / (time.perf_counter() - started)
    started = time.perf_counter()
    scores = [s for n in range(0, len(items), 256) for s in scorer.score(items[n : n + 256])]
    batch = len(items) / (time.perf_counter() - started)
    correct = sum(
        (s.probability >= 0.5) == bool(t.label) for s, t in zip(scores, test, strict=True)
    )
    return {"single_per_s": single, "batch_per_s": batch, "accuracy": correct / len(test)}
