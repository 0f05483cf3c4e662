"""Builders of request bodies for tests."""

from __future__ import annotations

from typing import Any

HAM = "Thanks for the article, the part about the city budget was really clear."
SPAM = "CHECK OUT my channel!!! subscribe http://bit.ly/free-money win cash now www.win.example"


def comment_body(body: str = HAM, **overrides: Any) -> dict[str, Any]:
    """A valid comment as a site would post it; `overrides` replace top-level fields."""
    payload: dict[str, Any] = {
        "thread": "https://news.example/2026/11/budget",
        "author": {"name": "Aysel", "email": "aysel@mail.example", "url": ""},
        "body": body,
        "ip": "203.0.113.7",
        "user_agent": "Mozilla/5.0",
        "lang": "az",
    }
    payload.update(overrides)
    return payload
