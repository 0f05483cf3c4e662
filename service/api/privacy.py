"""Erasure on request: a reader's comments, or one comment, with all that derives from them."""

from __future__ import annotations

from typing import Any

from service.api import schemas
from service.api.context import caller, keyed_blueprint, services

blp = keyed_blueprint(
    "privacy", __name__, "/v1/privacy", "Erase a reader's data (site key or moderator token)."
)


@blp.route("/erase", methods=["POST"])
@blp.arguments(schemas.EraseIn)
@blp.response(200, schemas.EraseOut)
@blp.doc(security=[{"bearerAuth": []}])
def erase(args: dict[str, Any]) -> dict[str, int]:
    """Erase every comment an e-mail left at the site (or one comment by id) for good."""
    moderation = services().moderation
    if "email" in args:
        return {"erased": moderation.erase_author(caller(), args["email"])}
    return {"erased": moderation.erase_comment(caller(), args["comment_id"])}
