"""How request bodies become Python: strict JSON, and the Blueprint class that uses it."""

from __future__ import annotations

import json
from typing import Any

import flask
import flask_smorest
from webargs import core
from webargs.flaskparser import FlaskParser, is_json_request
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge


class DuplicateKeyError(ValueError):
    """A JSON object names the same key twice."""


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    obj: dict[str, Any] = {}
    for key, value in pairs:
        if key in obj:
            raise DuplicateKeyError(f"the JSON body names {key!r} twice")
        obj[key] = value
    return obj


# One decoder for every body: json.loads with a hook builds a new one per call.
_DECODER = json.JSONDecoder(object_pairs_hook=_unique_keys)


def loads_strict(raw: bytes) -> Any:
    """Parse a JSON body, refusing what parsers disagree on: duplicate keys, deep nesting."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("the body is not valid UTF-8") from None
    try:
        return _DECODER.decode(text)
    except DuplicateKeyError as exc:
        raise BadRequest(str(exc)) from None
    except RecursionError:
        raise BadRequest("the JSON body is nested too deeply") from None
    except ValueError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from None


class StrictParser(FlaskParser):
    """webargs' Flask parser with `loads_strict` for JSON bodies."""

    def _raw_load_json(self, req: flask.Request) -> Any:
        if not is_json_request(req):
            return core.missing
        data = req.get_data(cache=True)
        limit = req.max_content_length
        # A chunked body has no length to check up front; werkzeug cuts it at the limit.
        if req.content_length is None and limit is not None and len(data) >= limit:
            raise RequestEntityTooLarge()
        return loads_strict(data)


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint, parsing bodies with `StrictParser`."""

    ARGUMENTS_PARSER = StrictParser()
