"""Text folding: the one spelling of a word that the rules and the model both read."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from service.moderation.text import URL, has_mixed_script, may_have_link, normalize


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("أحمد إيمان آمال", "احمد ايمان امال"),  # hamza/madda alef variants
        ("مدرسة على", "مدرسه علي"),  # teh marbuta, alef maqsura
        ("مـــرحبا", "مرحبا"),  # tatweel
        ("مَرْحَبًا", "مرحبا"),  # harakat
        ("کتاب یک", "كتاب يك"),  # Persian kaf and yeh
    ],
)
def test_arabic_spelling_variants_fold_to_one_form(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_turkish_dotted_and_dotless_i_fold_to_plain_i() -> None:
    assert normalize("İSTANBUL") == "istanbul"
    assert normalize("ILIK ılık") == "ilik ilik"
    # casefold() alone would leave a combining dot after the i
    assert "\u0307" not in normalize("İzmir DİYARBAKIR")


def test_homoglyph_in_latin_word_folds_but_russian_stays() -> None:
    assert normalize("Рaypal") == "paypal"  # first letter is Cyrillic Р
    assert normalize("привет мир") == "привет мир"
    assert has_mixed_script("Рaypal") and not has_mixed_script("привет paypal")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("٠١٢٣٤", "01234"), ("۴۵۶", "456"), ("१२३", "123"), ("１２３", "123"), ("𝟖𝟖", "88")],
)
def test_digits_of_any_script_become_ascii(raw: str, expected: str) -> None:
    assert normalize(raw) == expected


def test_zero_width_and_bidi_controls_are_removed() -> None:
    assert normalize("fr\u200bee mo\u200dney \u202egift\u202c\ufeff") == "free money gift"


# Text made of the pieces links are made of, so that near-links are common.
_PIECES = st.sampled_from(["www", ".", "://", "http", "com", "рф", "co", "x", "-", "/", " ", "я"])


@given(st.lists(_PIECES, max_size=12).map("".join) | st.text(max_size=40))
def test_the_link_hint_never_misses_a_link(text: str) -> None:
    text = text.lower()
    assert may_have_link(text) or not URL.search(text)


@pytest.mark.parametrize(
    "text, hinted",
    [
        ("see www.example.org now", True),
        ("http://localhost/x", True),
        ("сайт пример.рф", True),
        ("a sentence. another one", False),
        ("version 2.0 is out", False),
    ],
)
def test_the_link_hint_passes_over_plain_sentences(text: str, hinted: bool) -> None:
    assert may_have_link(text) is hinted
    assert bool(URL.search(text)) is hinted
