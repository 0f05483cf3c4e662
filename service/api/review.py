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
    return blp.send_static_file("review.html")


@blp.after_request
def _secure(response: Response) -> Response:
    response.headers.update(SECURITY_HEADERS)
    # Revalidate every time (a cheap 304): after an upgrade the page and its modules must not
    # mix old and new versions from the browser's cache.
    response.headers["Cache-Control"] = "no-cache"
    return response
