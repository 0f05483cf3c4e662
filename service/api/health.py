"""Operator endpoints: liveness and readiness."""

from __future__ import annotations

from typing import Any

import redis
from flask import Response, jsonify
from flask_smorest import Blueprint

from service.api.context import services

blp = Blueprint("health", __name__, description="Liveness and readiness for operators.")


@blp.route("/healthz", methods=["GET"])
def healthz() -> dict[str, Any]:
    """Answer while the process is up."""
    return {"status": "ok"}


@blp.route("/readyz", methods=["GET"])
def readyz() -> Response:
    """Answer 200 when Redis answers and the model file checks out, else 503 saying why."""
    wired = services()
    checks: dict[str, Any] = {"redis": _redis_ok(wired.redis)}
    card = wired.model_card
    checks["model"] = {"version": card.version} if card else {"error": wired.model_error}
    ready = checks["redis"] == "ok" and card is not None
    response = jsonify({"status": "ready" if ready else "not ready", "checks": checks})
    response.status_code = 200 if ready else 503
    return response


def _redis_ok(client: redis.Redis) -> str:
    try:
        client.ping()
    except redis.RedisError as exc:
        return f"unavailable: {type(exc).__name__}"
    return "ok"
