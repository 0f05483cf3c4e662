"""Tests for the HTML evaluation report and its plots."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from model.report import threshold_table, write_report
from service.scoring.model_file import verify_model_file
from service.settings import DEFAULT_MODEL_PATH
from tests.test_model import synthetic_rows, write_csv


def test_report_writes_html_with_curves_histogram_and_threshold_table(tmp_path: Path) -> None:
    data = write_csv(tmp_path / "small.csv", synthetic_rows(40, seed=5))
    index = write_report([data], DEFAULT_MODEL_PATH, tmp_path / "report")
    page = index.read_text(encoding="utf-8")
    for name in ("roc.png", "pr.png", "histogram.png"):
        png = index.parent / name
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and f'src="{name}"' in page
    assert "small.csv" in page and "<h2>Thresholds</h2>" in page


def test_threshold_table_includes_the_cards_cuts_and_true_rates() -> None:
    card = verify_model_file(DEFAULT_MODEL_PATH)
    labels = np.array([0, 0, 0, 1, 1])
    probabilities = np.array([0.01, 0.2, 0.99, 0.6, 0.999])
    rows = {row["threshold"]: row for row in threshold_table(labels, probabilities, card)}
    assert {card.approve_below, card.reject_above} <= set(rows)
    assert rows[0.5]["ham_rejected_above"] == 1 / 3 and rows[0.5]["spam_approved_below"] == 0
