"""Builders and helpers shared by tests: request bodies, failing parts, Redis counts."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import redis

from service.loop import Loop
from service.scoring.document import ScoringInput
from service.scoring.scorer import Score, Scorer
from service.scoring.site_model import SiteModel
from service.storage import keys as rkeys
from service.storage.streams import IntakeStream

SETTINGS = "/v1/moderation/settings"
#: A new site's rules as the settings endpoint answers them.
DEFAULT_RULES = {
    "max_links": 2,
    "moderation_words": [],
    "disallowed_words": [],
    "allowed_scripts": [],
    "min_seconds_to_post": 3.0,
    "trusted_after": 1,
    "flood_max": 5,
    "flood_seconds": 60.0,
    "reject_duplicates": True,
}


def part(site: str) -> rkeys.Part:
    """The partition of a site's keys (one in most tests; tests/cluster/ use several)."""
    return rkeys.partition(site)


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


class FailingScorer:
    """The real model, except that comments containing `marker` always make it raise."""

    def __init__(self, real: Scorer, marker: str) -> None:
        self.real = real
        self.marker = marker

    def score(
        self,
        items: Sequence[ScoringInput],
        site_models: Sequence[SiteModel | None] = (),
        documents: Sequence[str] | None = None,
        limits: Sequence[tuple[float, float] | None] = (),
    ) -> list[Score]:
        if any(self.marker in item.body for item in items):
            raise RuntimeError("the model cannot score this")
        return self.real.score(items, site_models, documents, limits)

    def learn(
        self, item: ScoringInput, model: SiteModel, label: int
    ) -> tuple[float, dict[int, tuple[float, float]]]:
        if self.marker in item.body:
            raise RuntimeError("the model cannot score this")
        return self.real.learn(item, model, label)


def with_scorer(loop: Loop, scorer: Any) -> None:
    """Make a worker or learner score with `scorer` (a fake) instead of its model's."""
    loop.bench.model = dataclasses.replace(loop.bench.model, scorer=scorer)


class CrashAtAck(IntakeStream):
    """An intake stream whose worker dies after writing its verdicts, before acking them."""

    def ack(self, entry_ids: list[str]) -> None:
        raise SystemExit("worker killed between write and ack")


def scored_total(client: redis.Redis, site: str) -> int:
    """How many verdicts the workers wrote for `site`, by the counters they keep."""
    counters = client.hgetall(rkeys.site_counters(site))
    return sum(int(v) for k, v in counters.items() if k.startswith(b"scored_"))


def pending(client: redis.Redis) -> int:
    """Entries delivered to a worker and not acknowledged, in every partition."""
    total = 0
    for stream in map(rkeys.intake_stream, rkeys.partitions()):
        if client.exists(stream):
            total += int(client.xpending(stream, rkeys.SCORERS_GROUP)["pending"])
    return total


# Indonesian gambling promotion and ordinary Indonesian comments: a kind of spam the shipped
# model (English comments and SMS) has never seen, in a language it was not trained on.
GAMBLING = [
    "Main di situs GACORJITU88 pasti maxwin, daftar sekarang bosku",
    "Baru depo 10rb langsung maxwin di GACORJITU88, mantap bosku",
    "GACORJITU88 situs paling gacor hari ini, jackpot tiap hari",
    "Cuma di GACORJITU88 wd cepat, daftar sekarang juga bosku",
    "Slot gacor hari ini ada di GACORJITU88, pasti jackpot",
    "Modal receh bisa maxwin di GACORJITU88, buruan daftar",
    "Mau jackpot? Main di GACORJITU88 aja bosku, pasti bayar",
    "GACORJITU88 terpercaya, depo kecil maxwin besar",
]
ORDINARY = [
    "Lagu ini bikin kangen masa sekolah dulu",
    "Suaranya bagus banget, semoga sukses terus ya",
    "Videonya keren, editannya rapi sekali",
    "Aku dengar lagu ini setiap pagi sebelum kerja",
    "Liriknya dalam, bikin terharu waktu dengar pertama kali",
    "Terima kasih sudah upload, kualitas suaranya jernih",
    "Penampilan live-nya lebih bagus dari versi studio",
    "Kapan konser di Surabaya lagi? Pengen nonton",
]
NEW_GAMBLING = "Yuk main di GACORJITU88, daftar sekarang pasti maxwin bosku"
NEW_ORDINARY = "Lagu ini selalu bikin semangat, suaranya bagus sekali"
