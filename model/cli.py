"""`modq train` and `modq evaluate`: registered with the `modq` command as entry points."""

from __future__ import annotations

import json
from pathlib import Path

import click

#: Labelled CSVs in the format of ../shared/data (text,label,...), one or more.
DATA = click.option(
    "--data",
    "data",
    multiple=True,
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A labelled CSV (text,label,lang,source,author,...); repeat for more.",
)


@click.command()
@DATA
@click.option("--out", required=True, type=click.Path(dir_okay=False, path_type=Path))
def train(data: tuple[Path, ...], out: Path) -> None:
    """Train the spam model on labelled CSVs; write the model file and its card."""
    from model.train import train as train_model

    card = train_model(list(data), out)
    thresholds = {"approve_below": card.approve_below, "reject_above": card.reject_above}
    click.echo(json.dumps({"model": str(out), "sha256": card.sha256, **thresholds}))


@click.command()
@DATA
@click.option("--model", "model_path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option(
    "--report",
    "report_dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Also write an HTML report with ROC, precision-recall, histograms and thresholds.",
)
def evaluate(data: tuple[Path, ...], model_path: Path | None, report_dir: Path | None) -> None:
    """Print one JSON line of metrics of a model on labelled CSVs."""
    from model.evaluate import evaluate as evaluate_model
    from service.cli import load_settings
    from service.scoring.model_file import ModelIntegrityError

    path = model_path or load_settings().model_path
    try:
        click.echo(json.dumps(evaluate_model(list(data), path)))
        if report_dir is not None:
            from model.report import write_report

            click.echo(f"report: {write_report(list(data), path, report_dir)}", err=True)
    except ModelIntegrityError as exc:
        raise click.ClickException(f"refusing the model file: {exc}") from None
