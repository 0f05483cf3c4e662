"""Each site's rules: WordPress's word lists and link limit, Antispam Bee's form evidence."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from service.moderation.comments import Author, FormEvidence, NewComment
from service.moderation.rules import Effect, Seen, SiteRules, count_links, dominant_script

NOW = 1_800_000_000.0


def _comment(body: str = "A fair point about the budget.", **fields: Any) -> NewComment:
    author = Author(
        fields.pop("name", "Aysel"),
        fields.pop("email", "aysel@mail.example"),
        fields.pop("url", ""),
    )
    return NewComment(author, body, **fields)


def _reasons(rules: SiteRules, comment: NewComment, form: FormEvidence | None = None) -> list[str]:
    return [hit.reason for hit in rules.check(dataclasses.replace(comment, form=form), NOW)]


def test_an_ordinary_comment_trips_nothing_under_the_defaults() -> None:
    assert SiteRules().check(_comment(), NOW) == []


@pytest.mark.parametrize(
    "body, url, links",
    [
        ("see http://a.example", "", 1),
        ("see http://a.example and www.b.example/x", "", 2),
        ("see http://a.example", "http://me.example", 2),  # the author's website counts
        ('<a href="http://a.example">a.example</a> bit.ly/x', "", 2),
        ("no link here, just 3.5 stars", "", 0),
    ],
)
def test_links_are_counted_in_the_body_and_the_authors_website(
    body: str, url: str, links: int
) -> None:
    assert count_links(_comment(body, url=url)) == links


def test_two_links_hold_by_default_and_zero_turns_the_limit_off() -> None:
    two = _comment("see http://a.example", url="http://me.example")

    assert _reasons(SiteRules(), two) == ["2 links"]
    assert _reasons(SiteRules(max_links=3), two) == []
    assert _reasons(SiteRules(max_links=0), _comment("http://a.example " * 9)) == []


@pytest.mark.parametrize(
    "word, fields",
    [
        ("press", {"body": "I love WordPress"}),  # inside words, as WordPress matches
        ("casino", {"body": "best cаsino online"}),  # Cyrillic а inside a Latin word
        ("casino", {"body": "best c\u200basino online"}),  # a zero-width space inside it
        ("CASINO", {"body": "ＣＡＳＩＮＯ night"}),  # fullwidth letters, any case
        ("دولار", {"body": "اربح الف دولار الان"}),
        ("مدرسة", {"body": "مدرسه جديدة"}),  # teh marbuta and heh are one letter
        ("spammer.example", {"email": "x@spammer.example"}),
        ("198.51.100.", {"ip": "198.51.100.23"}),
        ("curl/", {"user_agent": "curl/8.0"}),
        ("cheap-pills", {"url": "http://cheap-pills.example"}),
        ("bot", {"name": "SEO Bot"}),
    ],
)
def test_word_lists_match_every_field_folded_like_the_model_reads_it(
    word: str, fields: dict[str, str]
) -> None:
    comment = _comment(**fields)

    assert _reasons(SiteRules(moderation_words=(word,)), comment) == ["moderation word"]
    disallowed = SiteRules(disallowed_words=(word,)).check(comment, NOW)
    assert [(h.effect, h.reason) for h in disallowed] == [(Effect.SPAM, "disallowed word")]


def test_blank_words_match_nothing_and_a_word_elsewhere_does_not_fire() -> None:
    rules = SiteRules(moderation_words=("", "  ", "casino"), disallowed_words=("\u200b",))

    assert rules.check(_comment("An essay on the city's old theatre."), NOW) == []


def test_a_filled_honeypot_is_spam_an_empty_one_is_nothing() -> None:
    rules = SiteRules()

    filled = rules.check(_comment(form=FormEvidence(honeypot="http://x.example")), NOW)
    assert [(h.effect, h.reason) for h in filled] == [(Effect.SPAM, "honeypot filled")]
    assert rules.check(_comment(form=FormEvidence(honeypot="  ")), NOW) == []


@pytest.mark.parametrize(
    "seconds, reasons",
    [
        (1.4, ["posted 1.4 s after the page loaded"]),
        (2.99, ["posted 3.0 s after the page loaded"]),
        (3.0, []),
        (600.0, []),
        (-30.0, []),  # a clock ahead of ours says nothing
    ],
)
def test_a_comment_posted_too_soon_after_its_page_rendered_is_held(
    seconds: float, reasons: list[str]
) -> None:
    form = FormEvidence(rendered_at=NOW - seconds)

    assert _reasons(SiteRules(), _comment(), form) == reasons
    assert _reasons(SiteRules(min_seconds_to_post=0), _comment(), form) == []


@pytest.mark.parametrize(
    "text, script",
    [
        ("Çox maraqlı yazıdır, təşəkkür edirəm", "latin"),
        ("Спасибо за статью", "cyrillic"),
        ("مقال رائع، شكراً", "arabic"),
        ("این خبر را از کجا آوردید", "arabic"),
        ("𝐟𝐫𝐞𝐞 𝐦𝐨𝐧𝐞𝐲", "latin"),  # styled letters are Latin letters
        ("123 !!! 🙂", ""),
        ("Hello, Привет, привет", "cyrillic"),
    ],
)
def test_the_dominant_script_of_a_text(text: str, script: str) -> None:
    assert dominant_script(text) == script


def test_scripts_a_site_does_not_allow_are_held_and_text_without_letters_is_not() -> None:
    rules = SiteRules(allowed_scripts=("latin", "cyrillic"))

    assert _reasons(rules, _comment("هل الخبر صحيح؟")) == ["written in arabic, not allowed here"]
    assert _reasons(rules, _comment("Спасибо")) == []
    assert _reasons(rules, _comment("👍👍")) == []


def test_sure_spam_comes_before_holds() -> None:
    rules = SiteRules(moderation_words=("casino",), disallowed_words=("pills",))
    comment = _comment("casino pills http://a.example http://b.example")

    hits = rules.check(dataclasses.replace(comment, form=FormEvidence(honeypot="x")), NOW)
    assert [h.effect for h in hits] == [Effect.SPAM, Effect.SPAM, Effect.HOLD, Effect.HOLD]
    assert [h.reason for h in hits] == [
        "honeypot filled",
        "disallowed word",
        "2 links",
        "moderation word",
    ]


@pytest.mark.parametrize(
    "trusted_after, approved, trusted",
    [(1, 0, False), (1, 1, True), (3, 2, False), (3, 5, True), (0, 50, False)],
)
def test_an_author_is_trusted_after_enough_approved_comments(
    trusted_after: int, approved: int, trusted: bool
) -> None:
    hits = SiteRules(trusted_after=trusted_after).check(_comment(), NOW, Seen(approved))

    assert [(h.effect, h.reason) for h in hits] == (
        [(Effect.TRUST, "author approved before")] if trusted else []
    )


@pytest.mark.parametrize(
    "seen, reasons",
    [
        (Seen(from_ip=5, from_author=1), []),
        (Seen(from_ip=6, from_author=1), ["6 comments in 60 s"]),
        (Seen(from_ip=1, from_author=7), ["7 comments in 60 s"]),
    ],
)
def test_more_than_five_comments_from_one_ip_or_author_in_a_minute_is_a_flood(
    seen: Seen, reasons: list[str]
) -> None:
    assert [h.reason for h in SiteRules().check(_comment(), NOW, seen)] == reasons
    assert SiteRules(flood_max=0).check(_comment(), NOW, seen) == []


def test_a_duplicate_is_rejected_unless_the_site_allows_them() -> None:
    duplicate = Seen(duplicate=True)

    hits = SiteRules().check(_comment(), NOW, duplicate)
    assert [(h.effect, h.reason) for h in hits] == [
        (Effect.REJECT, "duplicate of an earlier comment")
    ]
    assert SiteRules(reject_duplicates=False).check(_comment(), NOW, duplicate) == []
