"""Operator endpoints: liveness and readiness."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from service.api.context import Services, services
from service.api.parsing import Blueprint
from service.moderation.errors import StorageUnavailableError

blp = Blueprint("health", __name__, description="Liveness and readiness for operators.")


@blp.route("/healthz", methods=["GET"])
def healthz() -> dict[str, Any]:
    """Answer while the process is up."""
    return {"status": "ok"}


@blp.route("/readyz", methods=["GET"])
def readyz() -> Response:
    """Answer 200 when Redis answers, keeps what it acknowledges and the model checks out."""
    wired = services()
    checks: dict[str, Any] = {"redis": wired.monitor.status()}
    version = wired.model_version
    checks["model"] = {"version": version} if version else {"error": wired.model_error}
    durable = checks["redis"] == "ok" and _durability(wired, checks)
    ready = durable and version is not None
    response = jsonify({"status": "ready" if ready else "not ready", "checks": checks})
    response.status_code = 200 if ready else 503
    return response


def _durability(wired: Services, checks: dict[str, Any]) -> bool:
    try:
        durability = wired.monitor.durability()
    except StorageUnavailableError as exc:
        checks["durability"] = {"error": str(exc)}
        return False
    accepted = wired.monitor.accept_data_loss
    checks["durability"] = {"safe": durability.safe, "problems": list(durability.problems)}
    if not durability.safe and accepted:
        checks["durability"]["accepted_data_loss"] = True
    return durability.safe or accepted
