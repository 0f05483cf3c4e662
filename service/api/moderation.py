"""Moderator endpoints: the review queue and decisions."""

from __future__ import annotations

from datetime import date
from typing import Any

from service.api import moderator_schemas, schemas
from service.api.context import caller, keyed_blueprint, services
from service.api.errors import domain_error, error_body
from service.moderation.access import Principal
from service.moderation.comments import Comment, Decision
from service.moderation.errors import CommentNotFoundError
from service.moderation.rules import SiteRules
from service.moderation.stats import total
from service.moderation.workflow import DecisionOutcome, Learned

blp = keyed_blueprint(
    "moderation", __name__, "/v1/moderation", "Review held comments (moderator token)."
)


@blp.route("/queue", methods=["GET"])
@blp.arguments(moderator_schemas.QueueArgs, location="query")
@blp.response(200, moderator_schemas.QueuePage)
@blp.doc(security=[{"bearerAuth": []}])
def queue(args: dict[str, Any]) -> dict[str, Any]:
    """List the site's held comments, oldest first; follow `next_cursor` for more."""
    items, cursor = services().moderation.queue(caller(), args["cursor"], args["limit"])
    return {"items": items, "next_cursor": moderator_schemas.encode_cursor(cursor)}


@blp.route("/learning", methods=["GET"])
@blp.response(200, moderator_schemas.LearnedOut)
@blp.doc(security=[{"bearerAuth": []}])
def learning() -> Learned:
    """How far the site's moderators' decisions have taught its model (approve and spam)."""
    return services().moderation.learned(caller())


@blp.route("/stats", methods=["GET"])
@blp.arguments(moderator_schemas.StatsArgs, location="query", as_kwargs=False)
@blp.response(200, moderator_schemas.StatsOut)
@blp.doc(security=[{"bearerAuth": []}])
def stats(days: list[date]) -> dict[str, Any]:
    """The site's figures per UTC day (default: the last 30): received, approved, held,
    spam, moderators' decisions, missed spam, false positives, accuracy."""
    found, learned = services().moderation.stats(caller(), days)
    return {"days": found, "total": total(found, days[0]), "learned": learned}


@blp.route("/settings", methods=["GET"])
@blp.response(200, moderator_schemas.RulesIO)
@blp.doc(security=[{"bearerAuth": []}])
def settings() -> SiteRules:
    """The site's rules: link limit, word lists, allowed scripts, time to post."""
    return services().moderation.rules(caller())


@blp.route("/settings", methods=["PUT"])
@blp.arguments(moderator_schemas.RulesIO)
@blp.response(200, moderator_schemas.RulesIO)
@blp.doc(security=[{"bearerAuth": []}])
def set_settings(rules: SiteRules) -> SiteRules:
    """Replace the site's rules; the workers apply them within seconds (docs/policy.md)."""
    return services().moderation.set_rules(caller(), rules)


@blp.route("/comments/<string:comment_id>", methods=["GET"])
@blp.response(200, schemas.ReviewItem)
@blp.doc(security=[{"bearerAuth": []}])
def comment(comment_id: str) -> Comment:
    """Return one comment of the site with everything a moderator may see."""
    return services().moderation.review_comment(caller(), comment_id)


@blp.route("/comments/<string:comment_id>/decision", methods=["POST"])
@blp.arguments(moderator_schemas.DecisionIn)
@blp.response(200, schemas.ReviewItem)
@blp.doc(security=[{"bearerAuth": []}])
def decide(args: dict[str, Any], comment_id: str) -> Comment:
    """Approve, reject or mark as spam; the comment leaves the queue."""
    return services().moderation.decide(caller(), comment_id, args["decision"])


@blp.route("/decisions", methods=["POST"])
@blp.arguments(moderator_schemas.BulkDecisionIn)
@blp.response(200, moderator_schemas.BulkDecisionOut)
@blp.doc(security=[{"bearerAuth": []}])
def decide_many(args: dict[str, Any]) -> dict[str, Any]:
    """Decide many comments at once, each by `id` or every held copy of a `campaign`; each
    comment succeeds or fails on its own."""
    moderation, who, outcomes = services().moderation, caller(), []
    for item in args["decisions"]:
        if "campaign" in item:
            outcomes += _campaign_outcomes(who, item["campaign"], item["decision"])
        else:
            outcomes += moderation.decide_many(who, [(item["id"], item["decision"])])
    return {"results": [_result(outcome) for outcome in outcomes]}


@blp.route("/campaigns/<string:campaign_id>/decision", methods=["POST"])
@blp.arguments(moderator_schemas.DecisionIn)
@blp.response(200, moderator_schemas.BulkDecisionOut)
@blp.doc(security=[{"bearerAuth": []}])
def decide_campaign(args: dict[str, Any], campaign_id: str) -> dict[str, Any]:
    """Decide every held copy of a campaign; after `spam`, later copies are spam on arrival."""
    outcomes = services().moderation.decide_campaign(caller(), campaign_id, args["decision"])
    return {"results": [_result(outcome) for outcome in outcomes]}


def _campaign_outcomes(who: Principal, campaign_id: str, decision: Decision) -> list[Any]:
    try:
        return services().moderation.decide_campaign(who, campaign_id, decision)
    except CommentNotFoundError as exc:
        return [DecisionOutcome(campaign_id, error=exc)]


def _result(outcome: DecisionOutcome) -> dict[str, Any]:
    result: dict[str, Any] = {"id": outcome.comment_id, "ok": outcome.error is None}
    if outcome.error is not None:
        return result | {"status": None, "error": error_body(*domain_error(outcome.error))}
    assert outcome.comment is not None
    return result | {"status": outcome.comment.status.value, "error": None}
