"""Site-facing endpoints: submit a comment, read its status."""

from __future__ import annotations

import json

from flask import Response

from service.api import schemas
from service.api.context import caller, keyed_blueprint, services
from service.moderation.comments import Comment, NewComment

blp = keyed_blueprint(
    "comments", __name__, "/v1/comments", "Submit comments and read verdicts (site key)."
)

# One instance for every request: given the class, webargs builds a new schema and its
# nested author schema per POST (docs/benchmarks.md, "Speed tricks").
_COMMENT_IN = schemas.CommentIn()


@blp.route("", methods=["POST"])
@blp.arguments(_COMMENT_IN, example=None)
@blp.response(202, schemas.CommentAccepted)
@blp.doc(security=[{"bearerAuth": []}])
def submit(content: NewComment) -> Response:
    """Accept a comment for moderation; 202 means it is durably stored."""
    wired, principal = services(), caller()
    wired.limits.submission(principal.site, content.ip)
    comment = wired.moderation.submit(principal, content)
    # Two known strings need no schema dump and no jsonify; CommentAccepted documents them.
    body = json.dumps({"id": comment.id, "status": comment.status.value})
    return Response(body, 202, mimetype="application/json")


@blp.route("/<string:comment_id>", methods=["GET"])
@blp.response(200, schemas.CommentOut)
@blp.doc(security=[{"bearerAuth": []}])
def status(comment_id: str) -> Comment:
    """Return a comment's status, score and reasons (never its author's e-mail)."""
    return services().moderation.site_comment(caller(), comment_id)
