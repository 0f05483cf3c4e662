"""Write the evaluation report: an HTML page with ROC, precision-recall, histograms, thresholds."""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from sklearn.metrics import precision_recall_curve, roc_curve

from model.evaluate import compute_metrics, score_files
from service.scoring.model_file import ModelCard
from service.scoring.scorer import Scorer

if TYPE_CHECKING:  # matplotlib loads only when a report is written
    from matplotlib.axes import Axes

CANDIDATES = (0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99)


def write_report(data_paths: list[Path], model_path: Path, out_dir: Path) -> Path:
    """Score the CSVs with the model, write index.html and its PNG plots; return the HTML path."""
    scorer = Scorer.load(model_path)
    labels, probabilities = score_files(data_paths, scorer)
    out_dir.mkdir(parents=True, exist_ok=True)
    plots = _plot_all(labels, probabilities, scorer.card, out_dir)
    page = _page(data_paths, scorer.card, labels, probabilities, plots)
    index = out_dir / "index.html"
    index.write_text(page, encoding="utf-8")
    return index


def _plot_all(labels: np.ndarray, p: np.ndarray, card: ModelCard, out: Path) -> list[str]:
    import matplotlib

    matplotlib.use("Agg")  # no display on servers; must precede pyplot
    import matplotlib.pyplot as plt

    names = []
    for name, draw in (("roc.png", _roc), ("pr.png", _pr), ("histogram.png", _histogram)):
        figure, axes = plt.subplots(figsize=(5.5, 4))
        draw(axes, labels, p, card)
        figure.tight_layout()
        figure.savefig(out / name, dpi=100)
        plt.close(figure)
        names.append(name)
    return names


def _roc(axes: Axes, labels: np.ndarray, p: np.ndarray, card: ModelCard) -> None:
    if len(set(labels)) == 2:
        fpr, tpr, _ = roc_curve(labels, p)
        axes.plot(fpr, tpr)
    axes.set(xlabel="ham flagged (FPR)", ylabel="spam caught (TPR)", title="ROC")


def _pr(axes: Axes, labels: np.ndarray, p: np.ndarray, card: ModelCard) -> None:
    if labels.any():
        precision, recall, _ = precision_recall_curve(labels, p)
        axes.plot(recall, precision)
    axes.set(xlabel="recall", ylabel="precision", title="Precision-recall")


def _histogram(axes: Axes, labels: np.ndarray, p: np.ndarray, card: ModelCard) -> None:
    bins = np.linspace(0, 1, 41).tolist()
    for label, name in ((0, "ham"), (1, "spam")):
        axes.hist(p[labels == label], bins=bins, alpha=0.6, label=name)
    for cut in (card.approve_below, card.reject_above):
        axes.axvline(cut, color="black", linestyle="--", linewidth=1)
    axes.set(xlabel="P(spam)", ylabel="comments", yscale="log", title="Scores per class")
    axes.legend()


def threshold_table(labels: np.ndarray, p: np.ndarray, card: ModelCard) -> list[dict[str, float]]:
    """Rates at candidate cuts and at the card's two thresholds, for choosing or checking them."""
    ham, spam = p[labels == 0], p[labels == 1]
    cuts = sorted({*CANDIDATES, card.approve_below, card.reject_above})
    return [
        {
            "threshold": cut,
            "ham_rejected_above": _share(ham > cut),
            "spam_rejected_above": _share(spam > cut),
            "spam_approved_below": _share(spam < cut),
            "ham_approved_below": _share(ham < cut),
        }
        for cut in cuts
    ]


def _share(mask: np.ndarray) -> float:
    return float(mask.mean()) if mask.size else float("nan")


def _page(
    data_paths: list[Path], card: ModelCard, labels: np.ndarray, p: np.ndarray, plots: list[str]
) -> str:
    metrics = compute_metrics(labels, p, card.approve_below, card.reject_above)
    rows = threshold_table(labels, p, card)
    data = ", ".join(html.escape(path.name) for path in data_paths)
    parts = [
        "<!doctype html><meta charset=utf-8><title>modq model report</title>",
        "<h1>modq model report</h1>",
        f"<p>Model {html.escape(card.version)} on {data}. Thresholds: approve below "
        f"{card.approve_below:.4f}, reject above {card.reject_above:.4f}.</p>",
        _table(["metric", "value"], [[k, _cell(v)] for k, v in metrics.items()]),
        *[f'<img src="{name}" alt="{name}">' for name in plots],
        "<h2>Thresholds</h2>",
        _table(list(rows[0]), [[_cell(v) for v in row.values()] for row in rows]),
    ]
    return "\n".join(parts) + "\n"


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table border=1 cellpadding=4><tr>{head}</tr>{body}</table>"


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "—" if np.isnan(value) else f"{value:.4f}"
    return html.escape(str(value))
