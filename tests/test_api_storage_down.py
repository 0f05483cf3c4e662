"""With Redis unreachable, requests fail fast with 503 and accept nothing."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from service.app import create_app
from service.settings import Settings
from service.storage.connection import connect
from tests.conftest import free_port
from tests.factories import comment_body


@pytest.fixture
def cut_off(tmp_path: Path) -> FlaskClient:
    url = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    settings = Settings.from_env({}, redis_url=url, data_dir=tmp_path)
    return create_app(settings, connect(url)).test_client()


def test_submit_answers_503_with_retry_after_quickly(cut_off: FlaskClient) -> None:
    headers = {"Authorization": "Bearer modq_site_0123456789ab_" + "A" * 43}
    started = time.monotonic()

    response = cut_off.post("/v1/comments", json=comment_body(), headers=headers)

    assert time.monotonic() - started < 2
    assert response.status_code == 503
    assert response.json["code"] == 503 and response.json["message"]
    assert int(response.headers["Retry-After"]) > 0


def test_readyz_names_redis_and_healthz_stays_up(cut_off: FlaskClient) -> None:
    ready = cut_off.get("/readyz")

    assert ready.status_code == 503
    assert ready.json["checks"]["redis"].startswith("unavailable")
    assert cut_off.get("/healthz").status_code == 200
