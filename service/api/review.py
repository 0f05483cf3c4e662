"""The moderators' review page: GET /review and its static files, behind a strict CSP."""

from __future__ import annotations

from flask import Blueprint, Response

#: Sent with the page and every asset: no inline code, nothing from another origin, no framing.
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}

# A plain Flask blueprint, registered outside flask-smorest's Api, so the page stays out of
# the OpenAPI document, which describes the JSON API only.
blp = Blueprint(
    "review",
    __name__,
    static_folder="static/review",
    static_url_path="/review/static",
)


@blp.route("/review", methods=["GET"])
def page() -> Response:
    """Serve the review page; it asks for the moderator token and calls the JSON API."""
    response = blp.send_static_file("review.html")
    # The page must never be served from a stale cache after a deploy changes its assets.
    response.headers["Cache-Control"] = "no-cache"
    return response


@blp.after_request
def _secure(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    return response
