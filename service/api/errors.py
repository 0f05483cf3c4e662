"""The one place exceptions become HTTP errors, all in one JSON shape."""

from __future__ import annotations

import logging
import traceback
from http import HTTPStatus
from typing import Any

from flask import Flask, Response, jsonify
from werkzeug.exceptions import HTTPException

from service.moderation.errors import (
    AuthenticationError,
    CommentNotFoundError,
    DecisionConflictError,
    ModqError,
    NoWebhookError,
    PermissionDeniedError,
    StorageUnavailableError,
    WebhookURLError,
)

log = logging.getLogger("modq.api")

#: Seconds a client should wait before retrying while storage is unavailable.
RETRY_AFTER_S = 2

_DOMAIN_STATUS: dict[type[ModqError], int] = {
    AuthenticationError: 401,
    PermissionDeniedError: 403,
    CommentNotFoundError: 404,
    DecisionConflictError: 409,
    NoWebhookError: 404,
    WebhookURLError: 422,
}

#: What each place webargs reads from is called in a message.
_PARTS = {"json": "the request body", "query": "the query string", "view_args": "the path"}

_DOMAIN_MESSAGE: dict[type[ModqError], str] = {
    AuthenticationError: "send a valid key as 'Authorization: Bearer <key>'",
    CommentNotFoundError: "no such comment",
    NoWebhookError: "no webhook is set for this site",
}


def error_body(code: int, message: str, errors: Any = None) -> dict[str, Any]:
    """Return the error payload every 4xx and 5xx carries."""
    body: dict[str, Any] = {"code": code, "status": HTTPStatus(code).phrase, "message": message}
    if errors:
        body["errors"] = errors
    return body


def error_response(
    code: int, message: str, errors: Any = None, headers: dict[str, str] | None = None
) -> Response:
    """Return a JSON error response."""
    response = jsonify(error_body(code, message, errors))
    response.status_code = code
    response.headers.update(headers or {})
    return response


def handle_http_exception(error: HTTPException) -> Response:
    """Turn werkzeug's and webargs' HTTP errors into the JSON shape."""
    code = error.code or 500
    data = getattr(error, "data", None) or {}
    errors = data.get("errors") or data.get("messages")
    message = data.get("message") or _first_line(error.description) or HTTPStatus(code).phrase
    if errors and code == 422:
        message = _invalid(errors, data.get("schema"))
    return error_response(code, message, errors, data.get("headers"))


def domain_error(error: ModqError) -> tuple[int, str]:
    """The HTTP status and message of a domain error."""
    code = _DOMAIN_STATUS.get(type(error), 400)
    return code, _DOMAIN_MESSAGE.get(type(error)) or str(error)


def register(app: Flask) -> None:
    """Register every error handler on `app`."""
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(ModqError, _handle_domain)
    app.register_error_handler(StorageUnavailableError, _handle_storage)
    app.register_error_handler(Exception, _handle_unexpected)


def _handle_domain(error: ModqError) -> Response:
    code, message = domain_error(error)
    headers = {"WWW-Authenticate": 'Bearer realm="modq"'} if code == 401 else None
    return error_response(code, message, headers=headers)


def _handle_storage(error: StorageUnavailableError) -> Response:
    log.warning("event=storage.unavailable error=%r", str(error))
    return error_response(
        503,
        f"storage is unavailable ({error}); nothing was accepted, retry later",
        headers={"Retry-After": str(RETRY_AFTER_S)},
    )


def _handle_unexpected(error: Exception) -> Response:
    # The message and locals may quote the request (e-mail, body): log type and place only.
    frame = traceback.extract_tb(error.__traceback__)[-1] if error.__traceback__ else None
    where = f"{frame.filename}:{frame.lineno}" if frame else "?"
    log.error("event=http.unhandled error=%s where=%s", type(error).__name__, where)
    return error_response(500, "internal error; it has been logged")


def _invalid(errors: Any, schema: Any) -> str:
    """Say which part of the request failed validation, and as what."""
    # webargs keys the messages by where it looked: "json", "query", ...
    where = next(iter(errors), "") if isinstance(errors, dict) and len(errors) == 1 else ""
    part = _PARTS.get(where, "the request")
    subject = getattr(schema, "SUBJECT", "valid")
    return f"{part} is not {subject}: see 'errors'"


def _first_line(text: str | None) -> str:
    return (text or "").strip().split("\n", 1)[0]
