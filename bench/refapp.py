"""The reference ingestion app: the least a comment service must do, served like modq.

Parse a JSON comment, validate it with marshmallow, XADD it to a stream, answer 202. No
authentication, no storage of the comment beyond the stream entry: the ceiling modq's
`POST /v1/comments` is measured against.
"""

from __future__ import annotations

import json
import os
import uuid

import redis
from flask import Flask, Response, request
from marshmallow import Schema, ValidationError, fields, validate

STREAM = "ref:intake"


class AuthorIn(Schema):
    name = fields.String(required=True, validate=validate.Length(1, 245))
    email = fields.Email(required=True, validate=validate.Length(1, 100))
    url = fields.String(load_default="", validate=validate.Length(max=200))


class CommentIn(Schema):
    thread = fields.String(load_default="", validate=validate.Length(max=2048))
    author = fields.Nested(AuthorIn, required=True)
    body = fields.String(required=True, validate=validate.Length(1, 65_525))
    ip = fields.IP(load_default=None)
    user_agent = fields.String(load_default="", validate=validate.Length(max=1024))
    referrer = fields.String(load_default="", validate=validate.Length(max=2048))
    parent_id = fields.String(load_default="", validate=validate.Length(max=32))
    lang = fields.String(load_default="", validate=validate.Length(max=35))


def create_app() -> Flask:
    """Create the reference app on the Redis at REDIS_URL."""
    app = Flask("modq-bench-reference")
    client = redis.Redis.from_url(os.environ["REDIS_URL"], socket_timeout=1.5)
    schema = CommentIn()

    @app.post("/v1/comments")
    def submit() -> Response:
        try:
            schema.load(request.get_json())
        except ValidationError as exc:
            return Response(json.dumps(exc.messages), 422, mimetype="application/json")
        comment_id = uuid.uuid4().hex
        client.xadd(STREAM, {"id": comment_id, "comment": request.get_data()})
        body = json.dumps({"id": comment_id, "status": "queued"})
        return Response(body, 202, mimetype="application/json")

    @app.get("/healthz")
    def healthz() -> Response:
        return Response('{"status": "ok"}', 200, mimetype="application/json")

    return app


app = create_app() if "REDIS_URL" in os.environ else None
