"""The use cases of moderation, on in-memory ports: who may do what, and what it changes."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from service.moderation import access
from service.moderation.access import KeyKind, KeyRecord, Principal
from service.moderation.comments import Author, Campaign, CommentStatus, Decision, NewComment
from service.moderation.errors import (
    AuthenticationError,
    CommentNotFoundError,
    DecisionConflictError,
    PermissionDeniedError,
)
from service.moderation.privacy import author_key
from service.moderation.rules import SiteRules
from service.moderation.workflow import Learned, Moderation
from tests import fakes

PEPPER = b"p" * 32


@dataclass
class World:
    """A Moderation wired to fakes, with a site key and a moderator of news.example."""

    moderation: Moderation
    comments: fakes.Comments
    privacy: fakes.Privacy
    keys: fakes.Keys
    learning: fakes.Learning
    rules: fakes.Rules
    clock: fakes.Clock
    site: Principal = Principal("k1", KeyKind.SITE, "news.example")
    moderator: Principal = Principal("k2", KeyKind.MODERATOR, "news.example", "leyla")

    def post(self, body: str = "A fair point.", email: str = "aysel@mail.example") -> str:
        content = NewComment(Author("Aysel", email), body)
        return self.moderation.submit(self.site, content).id


@pytest.fixture
def world() -> World:
    clock = fakes.Clock()
    comments = fakes.Comments(clock)
    privacy, keys, learning = fakes.Privacy(comments), fakes.Keys(), fakes.Learning()
    rules = fakes.Rules()
    calibrations = fakes.Calibrations()
    moderation = Moderation(
        comments, keys, privacy, learning, rules, calibrations, fakes.Stats(), PEPPER, clock
    )
    return World(moderation, comments, privacy, keys, learning, rules, clock)


def _elsewhere(kind: KeyKind) -> Principal:
    return Principal("k9", kind, "other.example", "someone")


def test_a_submitted_comment_is_queued_under_a_fingerprint_of_its_email(world: World) -> None:
    comment_id = world.post(email="Aysel@Mail.example ")

    stored = world.comments.stored[comment_id]
    assert stored.status is CommentStatus.QUEUED and stored.site == "news.example"
    assert stored.author_key == author_key(PEPPER, "news.example", "aysel@mail.example")
    assert "aysel" not in stored.author_key


def test_each_key_kind_reaches_only_its_own_use_cases(world: World) -> None:
    comment_id = world.post()
    content = NewComment(Author("A", "a@b.example"), "hi")

    with pytest.raises(PermissionDeniedError):
        world.moderation.submit(world.moderator, content)
    with pytest.raises(PermissionDeniedError):
        world.moderation.site_comment(world.moderator, comment_id)
    with pytest.raises(PermissionDeniedError):
        world.moderation.review_comment(world.site, comment_id)
    with pytest.raises(PermissionDeniedError):
        world.moderation.decide(world.site, comment_id, Decision.SPAM)
    with pytest.raises(PermissionDeniedError):
        world.moderation.queue(world.site, None, 10)
    with pytest.raises(PermissionDeniedError):
        world.moderation.learned(world.site)


def test_another_sites_comment_is_not_found_for_any_use(world: World) -> None:
    comment_id = world.post()
    site, moderator = _elsewhere(KeyKind.SITE), _elsewhere(KeyKind.MODERATOR)

    for attempt in (
        lambda: world.moderation.site_comment(site, comment_id),
        lambda: world.moderation.review_comment(moderator, comment_id),
        lambda: world.moderation.decide(moderator, comment_id, Decision.SPAM),
        lambda: world.moderation.erase_comment(site, comment_id),
    ):
        with pytest.raises(CommentNotFoundError):
            attempt()
    assert comment_id in world.comments.stored


def test_a_decision_records_who_and_when_and_leaves_the_queue(world: World) -> None:
    comment_id = world.post()
    world.comments.hold(comment_id)
    world.clock.now += 60

    decided = world.moderation.decide(world.moderator, comment_id, Decision.APPROVE)

    assert decided.status is CommentStatus.APPROVED and decided.decision is Decision.APPROVE
    assert (decided.decided_by, decided.decided_at) == ("leyla", world.clock.now)
    assert world.moderation.queue(world.moderator, None, 10) == ([], None)


def test_the_same_decision_twice_conflicts_a_changed_one_does_not(world: World) -> None:
    comment_id = world.post()
    world.moderation.decide(world.moderator, comment_id, Decision.SPAM)

    with pytest.raises(DecisionConflictError):
        world.moderation.decide(world.moderator, comment_id, Decision.SPAM)
    changed = world.moderation.decide(world.moderator, comment_id, Decision.APPROVE)
    assert changed.status is CommentStatus.APPROVED


def test_bulk_decisions_succeed_or_fail_one_by_one(world: World) -> None:
    first, second = world.post(), world.post("Another view.")
    world.moderation.decide(world.moderator, second, Decision.REJECT)

    outcomes = world.moderation.decide_many(
        world.moderator,
        [(first, Decision.SPAM), ("f" * 32, Decision.SPAM), (second, Decision.REJECT)],
    )

    assert [o.comment_id for o in outcomes] == [first, "f" * 32, second]
    assert outcomes[0].comment is not None and outcomes[0].comment.status is CommentStatus.SPAM
    assert isinstance(outcomes[1].error, CommentNotFoundError)
    assert isinstance(outcomes[2].error, DecisionConflictError)


def test_the_queue_pages_oldest_first_with_each_authors_history(world: World) -> None:
    ids = [world.post(f"Comment {n}", email=f"r{n % 2}@mail.example") for n in range(5)]
    for comment_id in ids[1:]:
        world.comments.hold(comment_id)
    world.moderation.decide(world.moderator, ids[0], Decision.SPAM)  # r0's first comment

    first, cursor = world.moderation.queue(world.moderator, None, 3)
    rest, end = world.moderation.queue(world.moderator, cursor, 3)

    assert [c.id for c in first + rest] == ids[1:] and end is None
    histories = {c.id: c.author_history for c in first + rest}
    assert histories[ids[2]] == {"spam": 1} and histories[ids[1]] == {}


def test_one_decision_takes_every_held_copy_of_a_campaign_and_is_the_campaigns_call(
    world: World,
) -> None:
    founder, copy, other, elsewhere = (world.post(f"Offer {n}") for n in range(4))
    for comment_id in (founder, copy, elsewhere):
        world.comments.hold(comment_id, campaign=founder if comment_id != elsewhere else other)
    world.comments.hold(other)

    page, _ = world.moderation.queue(world.moderator, None, 10)
    outcomes = world.moderation.decide_campaign(world.moderator, founder, Decision.SPAM)

    assert {c.id: c.campaign.size for c in page if c.campaign} == {
        founder: 2,
        copy: 2,
        elsewhere: 1,
    }
    assert [o.comment_id for o in outcomes] == [founder, copy]
    assert all(o.comment and o.comment.status is CommentStatus.SPAM for o in outcomes)
    assert world.comments.campaigns("news.example", [founder]) == [
        Campaign(founder, 2, Decision.SPAM)
    ]
    remaining, _ = world.moderation.queue(world.moderator, None, 10)
    assert [c.id for c in remaining] == [other, elsewhere]


def test_a_campaign_call_needs_a_campaign_of_the_callers_site(world: World) -> None:
    founder = world.post("Offer")
    world.comments.hold(founder, campaign=founder)

    with pytest.raises(CommentNotFoundError):
        world.moderation.decide_campaign(world.moderator, "f" * 32, Decision.SPAM)
    with pytest.raises(CommentNotFoundError):
        world.moderation.decide_campaign(_elsewhere(KeyKind.MODERATOR), founder, Decision.SPAM)
    with pytest.raises(PermissionDeniedError):
        world.moderation.decide_campaign(world.site, founder, Decision.SPAM)
    assert world.comments.calls == {}


def test_erasing_an_author_takes_all_their_comments_at_that_site_only(world: World) -> None:
    mine = [world.post(email="aysel@mail.example") for _ in range(3)]
    theirs = world.post(email="other@mail.example")
    elsewhere = world.moderation.submit(
        _elsewhere(KeyKind.SITE), NewComment(Author("Aysel", "aysel@mail.example"), "hi")
    )

    erased = world.moderation.erase_author(world.site, "AYSEL@mail.example")

    assert erased == 3 and not set(mine) & set(world.comments.stored)
    assert {theirs, elsewhere.id} <= set(world.comments.stored)
    assert world.privacy.compactions == 1, "erased data must leave the append-only file too"


def test_erasing_one_comment_keeps_the_authors_others(world: World) -> None:
    first, second = world.post(), world.post("Second thoughts.")

    assert world.moderation.erase_comment(world.site, first) == 1
    assert set(world.comments.stored) == {second}


def test_a_token_opens_only_its_live_record(world: World) -> None:
    key_id, token, secret_hash = access.new_token(KeyKind.MODERATOR)
    principal = Principal(key_id, KeyKind.MODERATOR, "news.example", "leyla")
    world.keys.records[key_id] = KeyRecord(principal, secret_hash, world.clock())

    assert world.moderation.authenticate(token) == principal
    for bad in (None, "", token[:-1] + "x", token.replace("moderator", "site", 1)):
        with pytest.raises(AuthenticationError):
            world.moderation.authenticate(bad)
    world.keys.records[key_id] = KeyRecord(principal, secret_hash, world.clock(), revoked=True)
    with pytest.raises(AuthenticationError):
        world.moderation.authenticate(token)


def test_moderators_see_only_their_own_sites_learning(world: World) -> None:
    world.learning.by_site = {"news.example": (12, 340), "other.example": (5, 9)}

    assert world.moderation.learned(world.moderator) == Learned(12, 340)
    assert world.moderation.learned(_elsewhere(KeyKind.MODERATOR)) == Learned(5, 9)


def test_moderators_read_and_replace_only_their_own_sites_rules(world: World) -> None:
    strict = SiteRules(max_links=1, moderation_words=("casino",))

    assert world.moderation.rules(world.moderator) == SiteRules()
    assert world.moderation.set_rules(world.moderator, strict) == strict
    assert world.moderation.rules(world.moderator) == strict
    assert world.moderation.rules(_elsewhere(KeyKind.MODERATOR)) == SiteRules()
    with pytest.raises(PermissionDeniedError):
        world.moderation.set_rules(world.site, SiteRules())
    with pytest.raises(PermissionDeniedError):
        world.moderation.rules(world.site)
