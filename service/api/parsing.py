"""How request bodies become Python: strict JSON, and the Blueprint class that uses it."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

import flask
import flask_smorest
import marshmallow
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
    """webargs' Flask parser with `loads_strict` for JSON bodies.

    A JSON body read into one schema instance, the comment POST's case, skips webargs'
    general parse (argument maps, location lookup, pre_load and validator hooks; see
    docs/benchmarks.md). Errors take webargs' own path, so they keep their shape.
    """

    def use_args(self, argmap: Any, req: Any = None, **kwargs: Any) -> Callable[..., Any]:
        """webargs' `use_args`, lean for a JSON body and a schema instance."""
        if (
            not (isinstance(argmap, marshmallow.Schema) and req is None)
            or kwargs.get("location") != "json"
            or set(kwargs) - {"location"}
        ):
            return super().use_args(argmap, req, **kwargs)
        schema: marshmallow.Schema = argmap

        def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
            @functools.wraps(view)
            def wrapper(*args: Any, **view_kwargs: Any) -> Any:
                request = flask.request._get_current_object()  # type: ignore[attr-defined]
                data = self._raw_load_json(request)
                try:
                    parsed = schema.load({} if data is core.missing else data)
                except marshmallow.ValidationError as error:
                    self._on_validation_error(
                        error, request, schema, "json", error_status_code=None, error_headers=None
                    )
                return view(*args, parsed, **view_kwargs)

            return wrapper

        return decorator

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
