"""What a view needs from the app: the wired services and the authenticated caller."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Request, current_app, g, request
from werkzeug.exceptions import UnsupportedMediaType

from service.api.limits import Network, RateLimits, client_address
from service.api.parsing import Blueprint
from service.moderation.access import Principal
from service.moderation.errors import AuthenticationError
from service.moderation.ports import Monitor, VerdictWaiter
from service.moderation.webhooks import SiteWebhooks
from service.moderation.workflow import Moderation


@dataclass(frozen=True)
class Services:
    """Everything `create_app` wires for the views."""

    moderation: Moderation
    monitor: Monitor
    limits: RateLimits
    waits: VerdictWaiter
    webhooks: SiteWebhooks
    trusted_proxies: tuple[Network, ...]
    #: The version of the model file that passed its checks, or None and why it did not.
    model_version: str | None
    model_error: str = ""
    #: What `/metrics` asks for as a bearer token; None: it answers no one.
    metrics_token: str | None = None
    #: How long an Akismet comment-check waits for the verdict before answering "held".
    akismet_wait_s: float = 0.8


def services() -> Services:
    """Return the services of the current app."""
    wired: Services = current_app.extensions["modq"]
    return wired


def authenticate(request: Request, wired: Services) -> None:
    """Authenticate the request's bearer token; run before any body is parsed."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    try:
        # No stripping: a padded token is not the token that was issued.
        g.principal = wired.moderation.authenticate(token if scheme.lower() == "bearer" else None)
    except AuthenticationError:
        forwarded = request.headers.get("X-Forwarded-For", "")
        wired.limits.auth_failure(
            client_address(request.remote_addr or "", forwarded, wired.trusted_proxies)
        )
        raise


def require_json(request: Request) -> None:
    """Refuse a body that is not declared JSON, instead of reading it as empty."""
    if request.method in {"POST", "PUT"} and not request.is_json:
        raise UnsupportedMediaType("send the body as JSON with 'Content-Type: application/json'")


def caller() -> Principal:
    """Return the principal `authenticate` found for this request."""
    principal: Principal = g.principal
    return principal


def keyed_blueprint(name: str, import_name: str, url_prefix: str, description: str) -> Blueprint:
    """A blueprint of `/v1` endpoints: every request authenticated, every POST body JSON."""
    blp = Blueprint(name, import_name, url_prefix=url_prefix, description=description)
    blp.before_request(_before_keyed_request)
    return blp


def _before_keyed_request() -> None:
    # One hook, not two, and one look-up of each context object: every attribute read
    # through Flask's proxies costs a look-up of its own.
    real = request._get_current_object()  # type: ignore[attr-defined]
    authenticate(real, services())
    require_json(real)
