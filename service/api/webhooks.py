"""A site's webhook: where modq tells it about its comments (site key)."""

from __future__ import annotations

from typing import Any

from flask import Response

from service.api import schemas
from service.api.context import caller, keyed_blueprint, services
from service.moderation.webhooks import Endpoint, Health

blp = keyed_blueprint(
    "webhook", __name__, "/v1/webhook", "Where modq posts the site's comment events (site key)."
)


@blp.route("", methods=["PUT"])
@blp.arguments(schemas.WebhookIn)
@blp.response(200, schemas.WebhookSet)
@blp.doc(security=[{"bearerAuth": []}])
def set_webhook(args: dict[str, Any]) -> Endpoint:
    """Set (or replace) the site's webhook; the answer holds its new signing secret, once."""
    return services().webhooks.set(caller(), args["url"])


@blp.route("", methods=["GET"])
@blp.response(200, schemas.WebhookOut)
@blp.doc(security=[{"bearerAuth": []}])
def show_webhook() -> Health:
    """Where the site's webhook points and how its deliveries go."""
    return services().webhooks.health(caller())


@blp.route("", methods=["DELETE"])
@blp.response(204)
@blp.doc(security=[{"bearerAuth": []}])
def remove_webhook() -> Response:
    """Remove the site's webhook and the events waiting for it."""
    services().webhooks.remove(caller())
    return Response(status=204)
