"""Erasure on request: a reader's comments, or one comment, with all that derives from them."""

from __future__ import annotations

from typing import Any

from service.api import schemas
from service.api.context import authenticate, caller, require_json, services
from service.api.parsing import Blueprint

blp = Blueprint(
    "privacy",
    __name__,
    url_prefix="/v1/privacy",
    description="Erase a reader's data (site key or moderator token).",
)
blp.before_request(authenticate)
blp.before_request(require_json)


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
