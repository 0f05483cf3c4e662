"""A worker swaps in a replaced model file only if it passes every check; else it keeps its own."""

from __future__ import annotations

import dataclasses
import json
import pickle
import shutil
from pathlib import Path

import pytest
import redis as redis_lib
from flask.testing import FlaskClient

from service import worker
from service.scoring.model_file import card_path, file_sha256
from service.settings import DEFAULT_MODEL_PATH, Settings
from service.storage import keys as rkeys
from tests.conftest import Keys
from tests.factories import HAM, comment_body


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


def _score_one(client: FlaskClient, keys: Keys, w: worker.Worker, redis: redis_lib.Redis) -> bytes:
    comment_id = client.post(
        "/v1/comments", json=comment_body(HAM), headers=keys.site("news")
    ).json["id"]
    w.run(burst=True)
    return bytes(redis.hget(rkeys.comment(comment_id), "model_version") or b"")


def test_a_crafted_pickle_is_refused_and_the_last_good_model_kept(
    own_model: Settings,
    client: FlaskClient,
    keys: Keys,
    redis: redis_lib.Redis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    w = worker.build(own_model, redis, watch_every_s=0)
    good = w.model.version
    _replace(own_model.model_path, pickle.dumps({"__reduce__": "os.system"}))

    version = _score_one(client, keys, w, redis)

    assert version.decode() == good
    assert w.model.scorer.card.version == good
    assert "event=model.refused" in caplog.text


def test_a_card_that_does_not_match_the_file_is_refused(
    own_model: Settings,
    client: FlaskClient,
    keys: Keys,
    redis: redis_lib.Redis,
    caplog: pytest.LogCaptureFixture,
) -> None:
    w = worker.build(own_model, redis, watch_every_s=0)
    card = json.loads(card_path(own_model.model_path).read_text())
    card_path(own_model.model_path).write_text(json.dumps({**card, "sha256": "0" * 64}))

    assert _score_one(client, keys, w, redis).decode() == w.model.version
    assert w.model.thresholds.approve_below == card["approve_below"]
    assert "event=model.refused" in caplog.text


def test_a_valid_replacement_is_taken_without_a_restart(
    own_model: Settings, client: FlaskClient, keys: Keys, redis: redis_lib.Redis
) -> None:
    w = worker.build(own_model, redis, watch_every_s=0)
    data = own_model.model_path.read_bytes()
    _replace(own_model.model_path, data, approve_below=0.0123, reject_above=0.987)

    _score_one(client, keys, w, redis)

    assert (w.model.thresholds.approve_below, w.model.thresholds.reject_above) == (0.0123, 0.987)
