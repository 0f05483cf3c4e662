"""Metrics per split and system, the markdown table and the target check."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import matthews_corrcoef, roc_auc_score

from bench.quality.systems import Scored


@dataclass(frozen=True)
class Row:
    """One test split's figures for every system that ran on it."""

    protocol: str
    name: str
    n: int
    results: dict[str, dict[str, float]]
    thresholds: tuple[float, float]


def measure(labels: np.ndarray, scored: Scored) -> dict[str, float]:
    """MCC at the system's cut, ROC AUC and the three service outcome rates."""
    p = scored.probabilities
    ham, spam = p[labels == 0], p[labels == 1]
    both = bool(len(ham) and len(spam))
    return {
        "mcc": float(matthews_corrcoef(labels, (p >= scored.decide_at).astype(int))),
        "auc": float(roc_auc_score(labels, p)) if both else float("nan"),
        "ham_rejected": _share(ham > scored.reject_above),
        "review": _share((p >= scored.approve_below) & (p <= scored.reject_above)),
        "spam_approved": _share(spam < scored.approve_below),
    }


def _share(mask: np.ndarray) -> float:
    return float(mask.mean()) if mask.size else float("nan")


def mean_row(rows: list[Row], name: str) -> Row:
    """Average the figures of several splits (T2's five videos)."""
    systems = rows[0].results.keys()
    results = {
        s: {k: float(np.mean([r.results[s][k] for r in rows])) for k in rows[0].results[s]}
        for s in systems
    }
    return Row(rows[0].protocol, name, sum(r.n for r in rows), results, (np.nan, np.nan))


HEADER = (
    "| protocol | test set | n | modq MCC | AUC | ham auto-rejected | review | spam auto-approved "
    "| thresholds | TF-IDF+LR MCC | char SVM MCC | bogofilter MCC "
    "| bogofilter ham rej / review / spam appr |"
)


def markdown(rows: list[Row]) -> str:
    """Render every row as one markdown table (percentages for the outcome rates)."""
    return render(HEADER, [_cells(r) for r in rows])


def render(header: str, rows: Iterable[Sequence[str]]) -> str:
    """A markdown table: the header line, its rule, then a line of cells per row."""
    lines = [header, "|" + "---|" * (header.count("|") - 1)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return "\n".join(lines)


def _cells(row: Row) -> list[str]:
    m = row.results["modq"]
    cells = [row.protocol, row.name, str(row.n), number(m["mcc"]), number(m["auc"])]
    cells += [pct(m["ham_rejected"]), pct(m["review"]), pct(m["spam_approved"])]
    cells.append("" if np.isnan(row.thresholds[0]) else "{:.3f} / {:.3f}".format(*row.thresholds))
    for peer in ("tfidf_lr", "char_svm"):
        cells.append(number(row.results[peer]["mcc"]) if peer in row.results else "—")
    bogo = row.results.get("bogofilter")
    cells.append(number(bogo["mcc"]) if bogo else "—")
    rates = ("ham_rejected", "review", "spam_approved")
    cells.append(" / ".join(pct(bogo[k]) for k in rates) if bogo else "—")
    return cells


def number(value: float) -> str:
    """A figure to three places, or a dash where there is none."""
    return "—" if np.isnan(value) else f"{value:.3f}"


def pct(value: float) -> str:
    """A share as a percentage, or a dash where there is none."""
    return "—" if np.isnan(value) else f"{100 * value:.1f} %"
