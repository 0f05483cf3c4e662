"""The verdict policy, table-tested."""

import pytest

from service.moderation.comments import CommentStatus
from service.moderation.policy import UNSCORABLE, Thresholds, judge
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
