"""`modq train` and `modq evaluate` as a user runs them, on a small CSV the test writes."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner

from service.cli import main

HAM = [
    "Thanks for the update on the road works",
    "Good point about the school budget",
    "I disagree with the mayor here",
]
SPAM = [
    "CHECK OUT my channel http://bit.ly/x subscribe!!!",
    "Win free money now call 0800 123 456",
    "Visit www.cheap-pills.example for deals",
]


def _csv(path: Path, copies: int = 8) -> Path:
    with path.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(
            ["text", "label", "lang", "source", "author", "date", "group", "orig_label"]
        )
        for n in range(copies):
            for text in HAM:
                writer.writerow([f"{text} {n}", 0, "en", "test", f"Reader {n}", "", "g", 0])
            for text in SPAM:
                writer.writerow([f"{text} {n}", 1, "en", "test", f"Promo {n}", "", "g", 1])
    return path


def test_train_then_evaluate_with_a_report(tmp_path: Path) -> None:
    data = _csv(tmp_path / "sample.csv")
    model = tmp_path / "m.skops"
    runner = CliRunner()

    trained = runner.invoke(main, ["train", "--data", str(data), "--out", str(model)])
    evaluated = runner.invoke(
        main,
        ["evaluate", "--data", str(data), "--model", str(model), "--report", str(tmp_path / "r")],
    )

    assert trained.exit_code == 0, trained.output
    assert json.loads(trained.stdout)["sha256"]
    assert evaluated.exit_code == 0, evaluated.output
    metrics = json.loads(evaluated.stdout.splitlines()[0])
    assert metrics["n"] == 48 and metrics["roc_auc"] > 0.5
    assert (tmp_path / "r").is_dir() and list((tmp_path / "r").glob("*.png"))


def test_evaluate_refuses_a_tampered_model(tmp_path: Path) -> None:
    data = _csv(tmp_path / "sample.csv")
    model = tmp_path / "m.skops"
    runner = CliRunner()
    runner.invoke(main, ["train", "--data", str(data), "--out", str(model)])
    model.write_bytes(model.read_bytes() + b"tampered")

    result = runner.invoke(main, ["evaluate", "--data", str(data), "--model", str(model)])

    assert result.exit_code == 1
    assert "refusing the model file" in result.output
