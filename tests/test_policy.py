"""The verdict policy, table-tested."""

import pytest

from service.moderation.comments import CommentStatus
from service.moderation.policy import (
    APPROVE_RANGE,
    MIN_EACH,
    REJECT_RANGE,
    UNSCORABLE,
    Confirmed,
    Recent,
    Thresholds,
    caution,
    fitted,
    judge,
    learned_bounds,
)
from service.moderation.rules import Effect, Hit

T = Thresholds(approve_below=0.2, reject_above=0.9)


@pytest.mark.parametrize(
    "probability, status",
    [
        (0.0, CommentStatus.APPROVED),
        (0.1999, CommentStatus.APPROVED),
        (0.2, CommentStatus.PENDING_REVIEW),
        (0.5, CommentStatus.PENDING_REVIEW),
        (0.9, CommentStatus.PENDING_REVIEW),
        (0.9001, CommentStatus.SPAM),
        (1.0, CommentStatus.SPAM),
    ],
)
def test_probability_maps_to_status(probability: float, status: CommentStatus) -> None:
    assert T.status_for(probability) is status


def test_review_everything_when_thresholds_span_the_range() -> None:
    everything = Thresholds(approve_below=0.0, reject_above=1.0)

    assert {everything.status_for(p / 10) for p in range(11)} == {CommentStatus.PENDING_REVIEW}


@pytest.mark.parametrize("low, high", [(0.6, 0.4), (-0.1, 0.5), (0.5, 1.1)])
def test_inconsistent_thresholds_are_refused(low: float, high: float) -> None:
    with pytest.raises(ValueError, match="approve_below"):
        Thresholds(low, high)


SPAM_HIT = Hit(Effect.SPAM, "honeypot filled")
HOLD_HIT = Hit(Effect.HOLD, "3 links")


@pytest.mark.parametrize(
    "probability, hits, status",
    [
        (0.01, [], CommentStatus.APPROVED),
        (0.01, [SPAM_HIT], CommentStatus.SPAM),  # a sure rule overrules the model
        (None, [SPAM_HIT], CommentStatus.SPAM),
        (0.01, [HOLD_HIT], CommentStatus.PENDING_REVIEW),  # holds what would be published
        (0.5, [HOLD_HIT], CommentStatus.PENDING_REVIEW),
        (0.99, [HOLD_HIT], CommentStatus.SPAM),  # but does not overrule spam
        (0.99, [HOLD_HIT, SPAM_HIT], CommentStatus.SPAM),
        (None, [], UNSCORABLE),
        (None, [HOLD_HIT], UNSCORABLE),
    ],
)
def test_rules_and_the_model_decide_in_the_documented_order(
    probability: float | None, hits: list[Hit], status: CommentStatus
) -> None:
    assert judge(probability, hits, T) is status


TRUST_HIT = Hit(Effect.TRUST, "author approved before")


@pytest.mark.parametrize(
    "probability, hits, status",
    [
        (0.5, [TRUST_HIT], CommentStatus.APPROVED),  # published where the model is unsure
        (0.01, [TRUST_HIT], CommentStatus.APPROVED),
        (0.99, [TRUST_HIT], CommentStatus.SPAM),  # not when the model is sure of spam
        (0.5, [HOLD_HIT, TRUST_HIT], CommentStatus.PENDING_REVIEW),  # hold rules still hold
        (0.01, [SPAM_HIT, TRUST_HIT], CommentStatus.SPAM),
        (None, [TRUST_HIT], UNSCORABLE),
    ],
)
def test_a_trusted_author_is_published_unless_the_model_is_sure_or_a_rule_holds(
    probability: float | None, hits: list[Hit], status: CommentStatus
) -> None:
    assert judge(probability, hits, T) is status


def test_a_duplicate_is_rejected_unless_a_sure_rule_makes_it_spam() -> None:
    duplicate = Hit(Effect.REJECT, "duplicate of an earlier comment")

    assert judge(0.01, [duplicate], T) is CommentStatus.REJECTED
    assert judge(None, [duplicate, HOLD_HIT], T) is CommentStatus.REJECTED
    assert judge(0.01, [SPAM_HIT, duplicate], T) is CommentStatus.SPAM


# A site's own thresholds, fitted on its decisions.

DEFAULT = Thresholds(approve_below=0.15, reject_above=0.85)


def _decided(ham: list[float], spam: list[float]) -> list[tuple[float, bool]]:
    return [(p, False) for p in ham] + [(p, True) for p in spam]


def test_no_site_thresholds_before_enough_decisions_of_each_kind() -> None:
    few_spam = _decided([0.3] * 500, [0.9] * (MIN_EACH - 1))

    assert fitted(Recent(few_spam, 5000, 500), DEFAULT) is None
    assert (
        fitted(Recent(_decided([0.3] * MIN_EACH, [0.9] * MIN_EACH), 100, 100), DEFAULT) is not None
    )


@pytest.mark.parametrize("high_ham, reject_above", [(40, 0.59), (41, 0.95)])
def test_thresholds_reject_above_the_ham_and_approve_below_the_spam_within_the_bounds(
    high_ham: int, reject_above: float
) -> None:
    # 10,000 ham received: 0.4 % of them, 40, may be rejected; 41 may not.
    ham = [0.01 * (n % 60) for n in range(1000 - high_ham)] + [0.95] * high_ham
    spam = [0.02] * 3 + [0.4 + 0.0005 * n for n in range(997)]  # 3 % of 1,000 received is 30

    chosen = fitted(Recent(_decided(ham, spam), 10_000, 1000), DEFAULT)

    assert chosen == Thresholds(approve_below=0.4 + 0.0005 * 27, reject_above=reject_above)


def test_a_few_decisions_move_thresholds_only_towards_holding() -> None:
    # 50 ham cannot show that 0.4 % are rejected: reject_above may rise, never fall.
    low = fitted(Recent(_decided([0.2] * 50, [0.9] * 50), 50, 50), DEFAULT)
    high = fitted(Recent(_decided([0.2] * 49 + [0.97], [0.9] * 50), 50, 50), DEFAULT)

    assert low is not None and low.reject_above == DEFAULT.reject_above
    assert high is not None and high.reject_above == 0.97


def test_site_thresholds_stay_in_their_ranges() -> None:
    chosen = fitted(
        Recent(_decided([0.999] * 500 + [0.0] * 500, [0.0] * 2000), 1000, 2000), DEFAULT
    )

    assert chosen == Thresholds(APPROVE_RANGE[0], REJECT_RANGE[1])


# A cautious start.


@pytest.mark.parametrize(
    "confirmed, p, shipped, reason",
    [
        (Confirmed("arabic"), 0.97, 0.97, "no spam in arabic confirmed here yet"),
        (Confirmed("arabic", spam=3), 0.97, 0.97, "only 3 decisions in arabic here yet"),
        (Confirmed("arabic", spam=3), 0.999, 0.999, None),
        (Confirmed("latin", trained=True), 0.97, 0.97, "only 0 decisions in latin here yet"),
        (Confirmed("latin", trained=True), 0.999, 0.999, None),
        (Confirmed("latin", 40, 20, True), 0.97, 0.5, "spam only by what 60 decisions taught"),
        (Confirmed("latin", 40, 30, True), 0.97, 0.5, None),
        (Confirmed("latin", 40, 30, True), 0.97, 0.97, None),
        (Confirmed("arabic"), 0.5, 0.5, None),  # not spam by the model: nothing to hold back
    ],
)
def test_the_model_rejects_alone_only_where_the_site_confirmed_it(
    confirmed: Confirmed, p: float, shipped: float, reason: str | None
) -> None:
    hit = caution(p, shipped, DEFAULT, confirmed)

    assert (hit.reason if hit else None) == reason
    assert judge(p, [hit] if hit else [], DEFAULT) is (
        CommentStatus.PENDING_REVIEW if hit or p <= DEFAULT.reject_above else CommentStatus.SPAM
    )


def test_what_a_site_taught_may_move_a_script_only_as_far_as_both_kinds_were_decided() -> None:
    # Spam decisions alone: it may clear that script's comments, never push them to spam.
    low, high = learned_bounds(Confirmed("cyrillic", spam=10))
    assert low < 0 == high
    # Each ham decision lets it push further towards spam, each spam one towards ham.
    widened = learned_bounds(Confirmed("cyrillic", spam=20, ham=5))
    assert widened[0] < low and widened[1] > high
    assert learned_bounds(Confirmed("arabic")) == (0.0, 0.0)


def test_caution_never_holds_back_a_sure_rule() -> None:
    held = Hit(Effect.CAUTION, "no spam in arabic confirmed here yet")

    assert judge(0.97, [held, SPAM_HIT], DEFAULT) is CommentStatus.SPAM
    assert judge(0.5, [held], DEFAULT) is CommentStatus.PENDING_REVIEW
    assert judge(0.01, [held], DEFAULT) is CommentStatus.APPROVED


def test_received_counts_those_decided_and_those_published_or_rejected_meanwhile() -> None:
    # Newest first, each with the counts of published and rejected comments when made.
    entries = [(0.9, True, 130, 70), (0.4, False, 120, 60), (0.6, False, 100, 50)]

    recent = Recent.since(entries, (150, 80))

    assert recent == Recent([(0.9, True), (0.4, False), (0.6, False)], 50 + 2, 30 + 1)
    assert Recent.since([], (150, 80)) == Recent([], 0, 0)
