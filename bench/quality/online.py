"""Learning from moderators, replayed: each comment is scored, then decided, in order.

A site starts with the shipped model and no decisions. Comments arrive one by one; each is
scored with what the site's decisions have taught so far, then its moderator's decision
(the row's label) teaches the site's model (`service.learning`, as the workers run it).
The first WARM_UP of each stream only teaches; the figures are over the rest.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.quality import protocols, systems
from bench.quality.systems import Scored
from bench.quality.table import measure, pct, render
from model.data import Example
from service.scoring.scorer import Scorer
from service.scoring.site_model import SiteModel

WARM_UP = 0.2
#: Which comments get a decision: those the model holds for review (what a queue gives),
#: or every one (a site whose moderators also read what was published or rejected).
FEEDBACK = ("review", "all")


@dataclass(frozen=True)
class Stream:
    """A site's comments in the order they arrived, and the model it starts with."""

    name: str
    examples: list[Example]
    scorer: Scorer


@dataclass(frozen=True)
class OnlineRow:
    """One stream's figures: the starting model alone, then learning from each feedback."""

    name: str
    n: int
    static: dict[str, float]
    learned: dict[str, dict[str, float]]
    decisions: dict[str, int]


def video_streams(data_dir: Path) -> Iterator[Stream]:
    """Each TubeSpam video by date, with a model trained on the other four (T2's splits)."""
    with (data_dir / protocols.TUBESPAM).open(encoding="utf-8") as handle:
        rows = [r for r in csv.DictReader(handle) if r.get("label") in {"0", "1"}]
    for split in protocols.t2(data_dir):
        dates = [r["date"] for r in rows if r.get("group") == split.name]
        order = np.argsort(dates, kind="stable") if len(dates) == len(split.test) else None
        examples = split.test if order is None else [split.test[i] for i in order]
        scorer = systems.as_scorer(systems.trained(split.train), split.name)
        yield Stream(split.name + (" by date" if order is not None else ""), examples, scorer)


def zero_shot_streams(data_dir: Path, shipped: Scorer) -> Iterator[Stream]:
    """Each non-English set, with the shipped model."""
    for zero in protocols.zero_shot(data_dir):
        # No arrival times in these sets: one fixed shuffle.
        order = np.random.default_rng(0).permutation(len(zero.test))
        yield Stream(zero.name, [zero.test[i] for i in order], shipped)


def run(stream: Stream) -> OnlineRow:
    """Replay a stream without learning and with each kind of feedback."""
    labels = np.array([e.label for e in stream.examples])
    tail = slice(int(len(labels) * WARM_UP), None)
    card = stream.scorer.card

    def figures(probabilities: np.ndarray) -> dict[str, float]:
        scored = Scored(probabilities[tail], card.approve_below, card.reject_above)
        return measure(labels[tail], scored)

    static = np.array(
        [s.probability for s in stream.scorer.score([e.item for e in stream.examples])]
    )
    learned, decisions = {}, {}
    for feedback in FEEDBACK:
        probabilities, decisions[feedback] = replay(stream.scorer, stream.examples, feedback)
        learned[feedback] = figures(probabilities)
    return OnlineRow(stream.name, len(labels[tail]), figures(static), learned, decisions)


def mean_row(rows: list[OnlineRow], name: str) -> OnlineRow:
    """Average several streams' figures (the five videos)."""

    def mean(figures: list[dict[str, float]]) -> dict[str, float]:
        return {k: float(np.mean([f[k] for f in figures])) for k in figures[0]}

    return OnlineRow(
        name,
        sum(r.n for r in rows),
        mean([r.static for r in rows]),
        {f: mean([r.learned[f] for r in rows]) for f in FEEDBACK},
        {f: sum(r.decisions[f] for r in rows) for f in FEEDBACK},
    )


def replay(scorer: Scorer, examples: Sequence[Example], feedback: str) -> tuple[np.ndarray, int]:
    """Score each comment with what the decisions so far taught, then learn its decision."""
    model = SiteModel()
    probabilities, decisions = [], 0
    low, high = scorer.card.approve_below, scorer.card.reject_above
    for example in examples:
        p = scorer.score([example.item], [model])[0].probability
        probabilities.append(p)
        if feedback == "all" or low <= p <= high:
            scorer.learn(example.item, model, example.label)
            decisions += 1
    return np.array(probabilities), decisions


HEADER = (
    "| stream | n measured | model alone MCC / AUC | feedback | decisions | MCC | AUC "
    "| ham auto-rejected | review | spam auto-approved |"
)


def markdown(rows: list[OnlineRow]) -> str:
    """One line per stream and feedback, after a line for the model alone."""
    return render(HEADER, (cells for row in rows for cells in _lines(row)))


def _lines(row: OnlineRow) -> Iterator[list[str]]:
    alone = f"{row.static['mcc']:.3f} / {row.static['auc']:.3f}"
    yield _cells([row.name, str(row.n), alone, "none", "0"], row.static)
    for feedback, m in row.learned.items():
        yield _cells(["", "", "", feedback, str(row.decisions[feedback])], m)


def _cells(cells: list[str], m: dict[str, float]) -> list[str]:
    cells = [*cells, f"{m['mcc']:.3f}", f"{m['auc']:.3f}"]
    return cells + [pct(m[k]) for k in ("ham_rejected", "review", "spam_approved")]
