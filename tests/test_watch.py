"""A worker swaps in a replaced model file only if it passes every check; else it keeps its own."""

from __future__ import annotations

import dataclasses
import json
import pickle
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import redis as redis_lib
from flask.testing import FlaskClient

from service import worker
from service.scoring.model_file import card_path, file_sha256
from service.settings import DEFAULT_MODEL_PATH, Settings
from service.storage import keys as rkeys
from tests.conftest import Keys
from tests.factories import HAM, comment_body, part


@pytest.fixture
def own_model(settings: Settings, tmp_path: Path) -> Settings:
    """Settings pointing at a copy of the shipped model that the test may overwrite."""
    path = tmp_path / "model" / DEFAULT_MODEL_PATH.name
    path.parent.mkdir()
    shutil.copy(DEFAULT_MODEL_PATH, path)
    shutil.copy(card_path(DEFAULT_MODEL_PATH), card_path(path))
    return dataclasses.replace(settings, model_path=path)


def _replace(path: Path, data: bytes, **card_changes: object) -> None:
    """Write `data` as the model with a card that matches it, as someone with disk access could."""
    card = json.loads(card_path(path).read_text())
    card.update(card_changes, sha256=file_sha256(data))
    path.write_bytes(data)
    card_path(path).write_text(json.dumps(card))


@pytest.fixture
def watched(own_model: Settings, redis: redis_lib.Redis) -> worker.Worker:
    """A scoring worker on the copied model that looks at the file before every batch."""
    return worker.Worker.build(own_model, redis, watch_every_s=0)


@pytest.fixture
def score_one(
    client: FlaskClient, keys: Keys, watched: worker.Worker, redis: redis_lib.Redis
) -> Callable[[], str]:
    """Post a comment, let the watched worker score it; return the model version it got."""

    def run() -> str:
        headers = keys.site("news")
        comment_id = client.post("/v1/comments", json=comment_body(HAM), headers=headers).json["id"]
        watched.run(burst=True)
        return (
            redis.hget(rkeys.comment(part("news"), comment_id), "model_version") or b""
        ).decode()

    return run


def test_a_crafted_pickle_is_refused_and_the_last_good_model_kept(
    own_model: Settings,
    watched: worker.Worker,
    score_one: Callable[[], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    good = watched.bench.model.version
    _replace(own_model.model_path, pickle.dumps({"__reduce__": "os.system"}))

    assert score_one() == good
    assert watched.bench.model.scorer.card.version == good
    assert "event=model.refused" in caplog.text


def test_a_card_that_does_not_match_the_file_is_refused(
    own_model: Settings,
    watched: worker.Worker,
    score_one: Callable[[], str],
    caplog: pytest.LogCaptureFixture,
) -> None:
    card = json.loads(card_path(own_model.model_path).read_text())
    card_path(own_model.model_path).write_text(json.dumps({**card, "sha256": "0" * 64}))

    assert score_one() == watched.bench.model.version
    assert watched.bench.model.thresholds.approve_below == card["approve_below"]
    assert "event=model.refused" in caplog.text


def test_a_valid_replacement_is_taken_without_a_restart(
    own_model: Settings, watched: worker.Worker, score_one: Callable[[], str]
) -> None:
    data = own_model.model_path.read_bytes()
    _replace(own_model.model_path, data, approve_below=0.0123, reject_above=0.987)

    score_one()

    thresholds = watched.bench.model.thresholds
    assert (thresholds.approve_below, thresholds.reject_above) == (0.0123, 0.987)
