"""Tests for the model loader's integrity checks and the shipped model's scores and reasons."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import skops.io

from service.moderation.text import normalize
from service.scoring.document import ScoringInput, to_document
from service.scoring.model_file import (
    TRUSTED_TYPES,
    ModelIntegrityError,
    audit_types,
    card_path,
    verify_model_file,
    write_card,
)
from service.scoring.reasons import describe_token
from service.scoring.scorer import SMALL_BATCH, Scorer
from service.settings import DEFAULT_MODEL_PATH

SPAM = ScoringInput("Hey everyone, check out my channel http://bit.ly/3xYz please subscribe!")
HAM = ScoringInput("This song always reminds me of the summer we spent at the lake.")


class Sneaky:
    """A custom class: loading it would mean importing and running test code."""

    def __init__(self) -> None:
        self.payload = "anything"


@pytest.fixture
def model_copy(tmp_path: Path) -> Path:
    path = tmp_path / "modq-model.skops"
    shutil.copy(DEFAULT_MODEL_PATH, path)
    shutil.copy(card_path(DEFAULT_MODEL_PATH), card_path(path))
    return path


def test_card_path_sits_next_to_model() -> None:
    assert card_path(Path("/m/modq-model.skops")) == Path("/m/modq-model.card.json")


def test_shipped_card_matches_file_and_names_its_training_data() -> None:
    card = verify_model_file(DEFAULT_MODEL_PATH)
    assert card.version == card.sha256[:12]
    assert 0 < card.approve_below < card.reject_above < 1
    names = {d["name"] for d in card.raw["data"]}
    assert names == {"en_tubespam_v1.csv", "en_sms_spam_collection_v1.csv"}
    assert DEFAULT_MODEL_PATH.stat().st_size < 20_000_000


def test_obvious_spam_scores_above_ordinary_comment(scorer: Scorer) -> None:
    spam, ham = scorer.score([SPAM, HAM])
    assert spam.probability > scorer.card.reject_above
    assert ham.probability < scorer.card.approve_below


def test_arabic_link_and_phone_score_above_ordinary_arabic(scorer: Scorer) -> None:
    promo = ScoringInput("للتواصل واتساب ٠٥٠١٢٣٤٥٦٧ وزوروا موقعنا www.offers-now.com")
    plain = ScoringInput("ذهبت إلى المدرسة اليوم وكان الجو جميلا جدا")
    promo_score, plain_score = scorer.score([promo, plain])
    assert promo_score.probability > plain_score.probability + 0.5
    assert {"contains a link", "contains a phone number"} <= set(promo_score.reasons)


def test_reasons_point_at_real_parts_of_the_text(scorer: Scorer) -> None:
    (score,) = scorer.score([SPAM])
    assert 1 <= len(score.reasons) <= 5
    assert "link to bit.ly" in score.reasons
    text = normalize(SPAM.body)
    quoted = [r.strip('"') for r in score.reasons if r.startswith('"')]
    assert quoted, score.reasons
    for phrase in quoted:
        assert all(word in text for word in phrase.split()), phrase
    assert any("channel" in phrase for phrase in quoted)


def test_author_form_fields_reach_the_model_document() -> None:
    doc = to_document(ScoringInput("hi", "www.x.com", "a@B.example", "http://x.com")).split()
    assert {"sig_author_name_url", "sig_author_url", "email_domain_b.example"} <= set(doc)


def test_score_is_deterministic_and_independent_of_batch(scorer: Scorer) -> None:
    batch = [SPAM, HAM, ScoringInput("WIN a FREE iPhone!!! txt WIN to 80082"), ScoringInput("")]
    first, second = scorer.score(batch), scorer.score(list(batch))
    alone = [scorer.score([item])[0] for item in batch]
    assert first == second == alone
    assert scorer.score([]) == []


def test_loader_refuses_file_whose_hash_does_not_match(model_copy: Path) -> None:
    with model_copy.open("ab") as handle:
        handle.write(b"\0")
    with pytest.raises(ModelIntegrityError, match="SHA-256"):
        Scorer.load(model_copy)
    with pytest.raises(ModelIntegrityError):
        verify_model_file(model_copy)


def test_loader_refuses_missing_or_broken_card(model_copy: Path) -> None:
    card = card_path(model_copy)
    card.write_text(json.dumps({"sha256": "abc", "approve_below": 0.1, "reject_above": 0.9}))
    with pytest.raises(ModelIntegrityError, match="64 hex"):
        Scorer.load(model_copy)
    card.unlink()
    with pytest.raises(ModelIntegrityError, match="cannot read"):
        Scorer.load(model_copy)


def test_loader_refuses_untrusted_type_even_with_matching_card(tmp_path: Path) -> None:
    path = tmp_path / "evil.skops"
    skops.io.dump({"model": Sneaky()}, path)
    write_card(path, 0.1, 0.9)
    assert verify_model_file(path).sha256  # the hash is fine: only the types are wrong
    with pytest.raises(ModelIntegrityError, match="untrusted"):
        Scorer.load(path)


def test_loader_refuses_trusted_types_in_the_wrong_shape(tmp_path: Path) -> None:
    from sklearn.linear_model import LogisticRegression

    path = tmp_path / "bare.skops"
    skops.io.dump(LogisticRegression(), path)
    write_card(path, 0.1, 0.9)
    with pytest.raises(ModelIntegrityError, match="modq pipeline"):
        Scorer.load(path)


def test_loader_refuses_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "junk.skops"
    path.write_bytes(b"not a zip at all")
    write_card(path, 0.1, 0.9)
    with pytest.raises(ModelIntegrityError, match="readable"):
        Scorer.load(path)


def test_shipped_model_holds_only_listed_types() -> None:
    audit_types(DEFAULT_MODEL_PATH.read_bytes())  # raises if anything unlisted is inside
    assert all(t.startswith(("sklearn.", "numpy.")) for t in TRUSTED_TYPES)


def test_describe_token_gives_human_reasons_and_hides_noise() -> None:
    assert describe_token("link_domain_bit.ly") == "link to bit.ly"
    assert describe_token("sig_author_name_url") == "author name is a URL"
    assert describe_token("check out") == '"check out"'
    assert describe_token("sig_len_short") is None
    assert describe_token("[LINK] now") is None


def test_comments_published_unseen_carry_no_reasons(scorer: Scorer) -> None:
    spam, ham = scorer.score([SPAM, HAM])
    assert ham.probability < scorer.card.approve_below and ham.reasons == ()
    assert spam.reasons


def test_scoring_module_imports_without_numpy_or_sklearn() -> None:
    code = "import sys, service.scoring; print(any(m in sys.modules for m in ('numpy', 'sklearn')))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"


def test_fast_scoring_path_equals_the_pipelines_own_predict_proba(scorer: Scorer) -> None:
    pipeline = skops.io.load(DEFAULT_MODEL_PATH, trusted=TRUSTED_TYPES)
    batch = [SPAM, HAM, ScoringInput("WIN a FREE iPhone!!! txt WIN to 80082"), ScoringInput("")]
    expected = pipeline.predict_proba([to_document(item) for item in batch])[:, 1]
    got = [s.probability for s in scorer.score(batch)]
    assert got == pytest.approx(list(expected), abs=1e-9)


VARIED = [
    SPAM,
    HAM,
    ScoringInput("WIN a FREE iPhone!!! txt WIN to 80082"),
    ScoringInput(""),
    ScoringInput("Пишите в личку @promo_bot, заработок от 5000 ₽ в день: t.me/earnfast"),
    ScoringInput("مقال رائع، شكراً للكاتب على هذا التحليل الدقيق"),
    ScoringInput("ارسل رسالة الى 0501234567 للحصول على خصم 50% www.offer-now.com"),
    ScoringInput("Çox maraqlı yazıdır, təşəkkür edirəm! İzmir və Bakı haqqında"),
    ScoringInput("ｆｒｅｅ　ｍｏｎｅｙ 💰💰💰 cliсk hеrе", author_name="BestDealsEverOnline"),
    ScoringInput(
        "Great point about the budget.", "Anna", "anna@example.org", "https://anna.example"
    ),
    ScoringInput("aaaaaaa!!!! " * 30),
    ScoringInput("<a href='http://spam.example/x'>cheap pills</a><br>buy now"),
]


def test_one_by_one_and_large_batches_score_alike(scorer: Scorer) -> None:
    # Up to SMALL_BATCH comments are scored in plain Python, larger batches by scikit-learn.
    items = [
        ScoringInput(f"{item.body} {n}", item.author_name, item.author_email, item.author_url)
        for n in range(3)
        for item in VARIED
    ]
    assert len(items) > SMALL_BATCH
    batch = scorer.score(items)
    alone = [scorer.score([item])[0] for item in items]

    assert [s.probability for s in alone] == pytest.approx(
        [s.probability for s in batch], abs=1e-12
    )
    assert [s.reasons for s in alone] == [s.reasons for s in batch]
    assert any(s.reasons for s in alone) and any(not s.reasons for s in alone)


def test_one_comment_scores_as_the_pipelines_own_predict_proba(scorer: Scorer) -> None:
    pipeline = skops.io.load(DEFAULT_MODEL_PATH, trusted=TRUSTED_TYPES)
    expected = pipeline.predict_proba([to_document(item) for item in VARIED])[:, 1]
    alone = [scorer.score([item])[0].probability for item in VARIED]
    assert alone == pytest.approx(list(expected), abs=1e-9)


def test_plain_python_path_only_takes_the_shapes_it_reproduces() -> None:
    from sklearn.feature_extraction.text import TfidfVectorizer

    from model.pipeline import build_pipeline
    from service.scoring.linear import LinearText

    words, chars = (step for _, step in build_pipeline().steps[0][1].transformer_list)
    assert LinearText.handles(words, chars)
    assert not LinearText.handles(TfidfVectorizer(binary=True), chars)
    assert not LinearText.handles(TfidfVectorizer(norm="l1"), chars)
    assert not LinearText.handles(words, TfidfVectorizer())
