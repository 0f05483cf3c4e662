"""Site-facing endpoints: submit a comment, read its status."""

from __future__ import annotations

import json

from flask import Response, request

from service.api import schemas
from service.api.context import caller, keyed_blueprint, services
from service.moderation.access import Principal
from service.moderation.comments import Comment, NewComment
from service.moderation.errors import ModqError

blp = keyed_blueprint(
    "comments", __name__, "/v1/comments", "Submit comments and read verdicts (site key)."
)

# One instance for every request: given the class, webargs builds a new schema and its
# nested author schema per POST (docs/benchmarks.md, "Speed tricks").
_COMMENT_IN = schemas.CommentIn()


_COMMENT_OUT = schemas.CommentOut()
#: The longest `Prefer: wait` honoured, in seconds.
MAX_WAIT_S = 10
_PREFER = {
    "in": "header",
    "name": "Prefer",
    "required": False,
    "schema": {"type": "string", "example": "wait=5"},
    "description": "RFC 7240 `wait=N` (N <= 10 s): answer 200 with the scored comment if "
    "its verdict comes within N seconds, else 202 as without it.",
}


@blp.route("", methods=["POST"])
@blp.arguments(_COMMENT_IN, example=None)
@blp.response(202, schemas.CommentAccepted)
@blp.alt_response(200, schema=schemas.CommentOut, description="Scored within `Prefer: wait`.")
@blp.doc(security=[{"bearerAuth": []}], parameters=[_PREFER])
def submit(content: NewComment) -> Response:
    """Accept a comment for moderation; 202 means it is durably stored, 200 that it is
    stored and scored (asked for with `Prefer: wait=N`)."""
    wired, principal = services(), caller()
    wired.limits.submission(principal.site, content.ip)
    comment = wired.moderation.submit(principal, content)
    wait_s = prefer_wait(request.headers.getlist("Prefer"))
    if wait_s:
        scored = scored_in_time(principal, comment.id, wait_s)
        if scored is not None:
            headers = {"Preference-Applied": f"wait={wait_s}"}
            body = json.dumps(_COMMENT_OUT.dump(scored))
            return Response(body, 200, headers, mimetype="application/json")
    # Two known strings need no schema dump and no jsonify; CommentAccepted documents them.
    body = json.dumps({"id": comment.id, "status": comment.status.value})
    return Response(body, 202, mimetype="application/json")


def scored_in_time(principal: Principal, comment_id: str, wait_s: float) -> Comment | None:
    """The site's comment once scored, if that happens within `wait_s`; None if not, or if
    a free wait slot or Redis is missing (the comment is stored either way)."""
    wired = services()
    found: list[Comment] = []

    def scored() -> bool:
        found[:] = [wired.moderation.site_comment(principal, comment_id)]
        return found[0].scored_at is not None

    try:
        return found[0] if wired.waits.wait(comment_id, wait_s, scored) else None
    except ModqError:
        return None


def prefer_wait(values: list[str]) -> int:
    """The `wait` preference of RFC 7240 `Prefer` headers, in whole seconds (at most
    MAX_WAIT_S); 0 when absent or malformed."""
    for preference in ",".join(values).split(","):
        name, _, value = preference.split(";", 1)[0].strip().partition("=")
        if name.strip().lower() == "wait":
            value = value.strip().strip('"')
            return min(int(value), MAX_WAIT_S) if value.isdigit() and value.isascii() else 0
    return 0


@blp.route("/<string:comment_id>", methods=["GET"])
@blp.response(200, schemas.CommentOut)
@blp.doc(security=[{"bearerAuth": []}])
def status(comment_id: str) -> Comment:
    """Return a comment's status, score and reasons (never its author's e-mail)."""
    return services().moderation.site_comment(caller(), comment_id)
