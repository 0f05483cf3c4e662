"""Comment bodies for load: texts read from ../shared/data/*.csv at run time, never copied."""

from __future__ import annotations

import csv
import json
import random
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "data"

_FILLER = (
    "I read the whole article twice and I still think the council should publish the numbers "
    "before the vote, because nobody can judge a budget they have not seen."
)
_SPAM = "Earn $500 a day from home!!! Visit http://bit.ly/cash{n} or call +1 555 010 {n:04d} NOW"
#: What a comment body is padded to, so the JSON document is about 500 bytes.
_TARGET_JSON_BYTES = 500
#: Longer texts are cut, so no request is far from the target size.
_MAX_BODY_CHARS = 300


@dataclass(frozen=True)
class Text:
    """One labelled text: 1 spam, 0 ham."""

    body: str
    label: int


def load_texts(data_dir: Path = DATA_DIR, limit: int = 20_000, seed: int = 6) -> list[Text]:
    """Labelled texts from every CSV in `data_dir`, shuffled; synthetic ones if there are none."""
    texts: list[Text] = []
    for path in sorted(data_dir.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as handle:
            for row in csv.DictReader(handle):
                if row.get("text", "").strip() and row.get("label") in ("0", "1"):
                    texts.append(Text(row["text"].strip(), int(row["label"])))
    if not texts:  # a clone without ../shared/data: ham and spam of our own, a quarter spam
        texts = [Text(f"{_FILLER} ({n})", 0) for n in range(750)]
        texts += [Text(_SPAM.format(n=n), 1) for n in range(250)]
    random.Random(seed).shuffle(texts)
    return texts[:limit]


def comment_json(text: Text, n: int) -> dict[str, object]:
    """The JSON a site's backend posts for this text: about 500 bytes, its own commenter IP."""
    doc: dict[str, object] = {
        "thread": f"https://news.example/2026/11/story-{n % 97}",
        "author": {"name": f"Reader {n}", "email": f"reader{n}@mail.example", "url": ""},
        "body": text.body[:_MAX_BODY_CHARS],
        "ip": f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64) bench",
        "lang": "en",
    }
    short = _TARGET_JSON_BYTES - len(json.dumps(doc).encode())
    if short > 0:
        doc["body"] = f"{doc['body']} {_FILLER[:short]}".strip()
    return doc


def bodies(count: int, texts: list[Text] | None = None) -> list[bytes]:
    """`count` distinct request bodies, one per commenter."""
    texts = texts or load_texts()
    return [json.dumps(comment_json(texts[n % len(texts)], n)).encode() for n in range(count)]


def akismet_form(text: Text, n: int, key: str) -> bytes:
    """The same comment as `comment_json` as WordPress's Akismet plugin posts it to
    comment-check: form-encoded, the fields modq reads and some it ignores."""
    doc = comment_json(text, n)
    author = doc["author"]
    assert isinstance(author, dict)
    fields = {
        "api_key": key,
        "blog": "https://news.example",
        "user_ip": doc["ip"],
        "user_agent": doc["user_agent"],
        "referrer": doc["thread"],
        "permalink": doc["thread"],
        "comment_type": "comment",
        "comment_author": author["name"],
        "comment_author_email": author["email"],
        "comment_content": doc["body"],
        "comment_date_gmt": "2026-11-27 10:00:00",
        "blog_lang": "en_US",
        "blog_charset": "UTF-8",
        "POST_comment_post_ID": str(n % 97),
        "HTTP_ACCEPT": "text/html,application/xhtml+xml",
    }
    return urllib.parse.urlencode(fields).encode()
