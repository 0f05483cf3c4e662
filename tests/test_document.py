"""The document builder: comment normalisation, typed tokens and form signals."""

from __future__ import annotations

import pytest

from service.moderation.text import normalize
from service.scoring.document import (
    ScoringInput,
    form_signals,
    link_domain,
    strip_markup,
    tag_entities,
    to_document,
)
from service.scoring.tokens import EMAIL, LINK, PHONE, PRICE, TIME_LINK, USERNAME


def document(body: str, **author: str) -> str:
    """The document the model reads for a comment with this body and author fields."""
    return to_document(ScoringInput(body, **author))


def test_link_becomes_token_with_domain_feature() -> None:
    tagged = tag_entities(normalize("Check https://www.Bit.ly/abc?x=1, and m.youtube.com/watch"))
    assert tagged.text == f"check {LINK} , and {LINK}"
    assert "link_domain_bit.ly" in tagged.tokens
    assert {"link_domain_m.youtube.com", "link_domain_youtube.com"} <= set(tagged.tokens)
    assert tagged.links == 2


def test_link_to_a_moment_of_a_video_is_a_time_link_not_a_link() -> None:
    tagged = tag_entities(normalize("best part http://www.youtube.com/watch?v=KQ6zr6kCPj8&t=2m19s"))
    assert tagged.text == f"best part {TIME_LINK}"
    assert tagged.tokens == (TIME_LINK,)
    assert tag_entities("see youtu.be/KQ6zr6kCPj8?t=40").text == f"see {TIME_LINK}"


def test_video_link_without_a_time_stays_a_link() -> None:
    tagged = tag_entities(normalize("watch http://youtu.be/9bZkp7q19f0"))
    assert tagged.text == f"watch {LINK}"
    assert "link_domain_youtu.be" in tagged.tokens


def test_link_domain_drops_scheme_port_path_and_www() -> None:
    assert link_domain("HTTPS://WWW.Example.com:8080/a?b") == "example.com"


@pytest.mark.parametrize(
    ("raw", "token"),
    [
        ("write to john.doe@gmail.com today", EMAIL),
        ("call +994 50 123 45 67 now", PHONE),
        ("call (050) 123-45-67 now", PHONE),
        ("واتساب ٠٥٠١٢٣٤٥٦٧ الان", PHONE),
        ("follow @spam_king now", USERNAME),
        ("only $49.99 today", PRICE),
        ("win £1000 cash", PRICE),
        ("всего 500 руб сегодня", PRICE),
        ("cost 20 AZN", PRICE),
    ],
)
def test_contact_details_and_prices_become_typed_tokens(raw: str, token: str) -> None:
    text = tag_entities(normalize(raw)).text
    assert token in text.split()
    if token == PHONE:
        assert not any(ch.isdigit() for ch in text)  # the whole number was consumed


def test_dates_and_short_numbers_are_not_phones() -> None:
    text = tag_entities(normalize("posted 2013-11-07, text WIN to 87121")).text
    assert PHONE not in text and "87121" in text


def test_email_is_not_read_as_link_or_handle() -> None:
    tagged = tag_entities(normalize("mail me: a.b@mail.ru"))
    assert tagged.text == f"mail me: {EMAIL}"
    assert tagged.links == 0


def test_pretokenised_placeholders_keep_their_form() -> None:
    # The Russian set already carries [LINK] etc.; casefolding must not change them.
    text = "пиши [USERNAME] или [LINK]"
    assert tag_entities(normalize(text)).text == text


def test_form_signals_flag_url_name_website_and_email_domain() -> None:
    signals = form_signals("hello", "www.cheap-pills.com", "Bob@Mail.RU", "http://x.example")
    assert {"sig_author_name_url", "sig_author_url", "email_domain_mail.ru"} <= set(signals)
    assert not {"sig_author_name_url", "sig_author_url"} & set(form_signals("hi", "Bob", "", ""))


def test_writing_signals_flag_shouting_repeats_mixed_script_and_hidden_chars() -> None:
    assert "sig_shouting" in form_signals("BUY THIS NOW PLEASE", "", "", "")
    assert "sig_repeat_chars" in form_signals("sooooo good!!!!", "", "", "")
    assert "sig_mixed_script" in form_signals("visit Рaypal", "", "", "")
    assert "sig_hidden_chars" in form_signals("fr\u200bee", "", "", "")
    quiet = form_signals("A calm, ordinary sentence.", "", "", "")
    assert not {"sig_shouting", "sig_repeat_chars", "sig_mixed_script"} & set(quiet)


def test_document_has_body_then_feature_tokens_and_many_links_signal() -> None:
    doc = document("see bit.ly/a and tinyurl.com/b", author_url="http://spam.example")
    assert doc.startswith(f"see {LINK} and {LINK} ")
    assert {"link_domain_bit.ly", "link_domain_tinyurl.com", "sig_many_links"} <= set(doc.split())
    assert "sig_author_url" in doc.split()


def test_document_is_deterministic_and_handles_empty_input() -> None:
    comment = "Ｃheck my ch\u200bannel!!! @me +1 (555) 123-4567"
    assert document(comment) == document(comment)
    assert document("") == "sig_len_short"


def test_markup_becomes_plain_text_and_an_anchor_one_link() -> None:
    raw = 'Wow<br />see <a href="https://youtu.be/abc">https://youtu.be/abc</a> <b>now</b>'
    assert strip_markup(raw).split() == ["Wow", "see", "https://youtu.be/abc", "now"]
    assert "sig_many_links" not in document(raw).split()
    timed = '<a href="http://www.youtube.com/watch?v=x&t=2m19s">2:19</a> best part'
    assert document(timed).startswith("[LINK] 2:19 best part")
    assert strip_markup("i <3 you, a<b") == "i <3 you, a<b"


def test_slogan_author_names_and_capital_words_are_signals() -> None:
    assert "sig_author_slogan" in form_signals("hi", "HowToMakeALotOfMoneyFast", "", "")
    assert "sig_author_slogan" in form_signals("hi", "How To Make Money On The Internet", "", "")
    assert "sig_author_slogan" not in form_signals("hi", "Maria del Carmen", "", "")
    assert "sig_caps_words" in document("Call NOW to claim your FREE prize").split()
    assert "sig_caps_words" not in document("I watched it with NASA folks").split()
    assert "sig_caps_words" in document("Звони нам вечером: СЕЙЧАС ЛУЧШАЯ цена").split()
    assert "sig_caps_words" not in document("ذهبت إلى المدرسة اليوم وكان الجو جميلا").split()


def test_russian_corpus_placeholders_match_our_tokens() -> None:
    ours = document("пиши @ivan_sale или +7 999 123-45-67, сайт http://sale.ru, цена 800 рублей")
    theirs = document("пиши [USERNAME] или [PHONE], сайт [LINK], цена [PRICE]")
    for token in (USERNAME, PHONE, LINK, PRICE):
        assert token in ours.split() and token in theirs.split()
