"""`modq learned` and `modq sites`: what operators see and change of each site's policy
(rules, thresholds, campaigns) and of what its decisions taught its model."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click


@contextmanager
def redis_client() -> Iterator[Any]:
    """The CLI's Redis client (imported when called: `service.cli` imports this module)."""
    from service.cli import redis_client as client_of_cli

    with client_of_cli() as client:
        yield client


@click.group()
def learned() -> None:
    """What each site's moderators' decisions have taught its model."""


@learned.command("list")
def learned_list() -> None:
    """Each site with learned weights: learning steps taken and features weighted."""
    from service.storage.learned import LearnedStore

    with redis_client() as client:
        summary = LearnedStore(client).summary()
    for site, (steps, features) in sorted(summary.items()):
        click.echo(f"{site}  steps={steps}  features={features}")


@learned.command("forget")
@click.option("--site", required=True, help="The site whose learned weights to delete.")
def learned_forget(site: str) -> None:
    """Delete what a site's decisions taught; it scores as the shipped model again."""
    from service.storage.learned import LearnedStore

    with redis_client() as client:
        if not LearnedStore(client).forget(site):
            raise click.ClickException(f"nothing learned for {site}")
    click.echo(f"forgot what {site}'s decisions taught")


@click.group()
def sites() -> None:
    """Each site's rules (link limit, word lists, allowed scripts, time to post, ...) and
    thresholds."""


SITE = click.option("--site", required=True, help="The site, e.g. news.example.")


@sites.command("show")
@SITE
def sites_show(site: str) -> None:
    """Print the site's rules as JSON."""
    from service.storage.sites import RulesStore

    with redis_client() as client:
        rules = RulesStore(client).rules(site)
    click.echo(json.dumps(rules.values(), indent=2, ensure_ascii=False))


@sites.command("set")
@SITE
@click.option("--max-links", type=int, help="Hold a comment with this many links (0: off).")
@click.option("--moderation-words", help="Comma-separated; hold comments holding any.")
@click.option("--disallowed-words", help="Comma-separated; comments holding any are spam.")
@click.option("--allowed-scripts", help="Comma-separated, e.g. latin,cyrillic ('': all).")
@click.option("--min-seconds-to-post", type=float, help="Hold faster posts (0: off).")
@click.option("--trusted-after", type=int, help="Trust authors with this many approved.")
@click.option("--flood-max", type=int, help="Hold past this many comments in the window.")
@click.option("--flood-seconds", type=float, help="The flood window in seconds.")
@click.option("--reject-duplicates/--allow-duplicates", default=None, help="Copies in a day.")
def sites_set(site: str, **changes: Any) -> None:
    """Change the given rules of a site; the others stay as they are."""
    import marshmallow

    from service.api.moderator_schemas import RulesIO
    from service.storage.sites import RulesStore

    given = {k: _listed(k, v) for k, v in changes.items() if v is not None}
    with redis_client() as client:
        store = RulesStore(client)
        try:
            rules = RulesIO().load(store.rules(site).values() | given)
        except marshmallow.ValidationError as exc:
            raise click.UsageError(json.dumps(exc.messages)) from None
        store.set_rules(site, rules)
    click.echo(json.dumps(rules.values(), indent=2, ensure_ascii=False))


@sites.command("thresholds")
@SITE
@click.option("--approve-below", type=float, help="Publish below this P(spam).")
@click.option("--reject-above", type=float, help="Reject as spam above this P(spam).")
@click.option("--auto", is_flag=True, help="Let the site's decisions choose them again.")
def sites_thresholds(
    site: str, approve_below: float | None, reject_above: float | None, auto: bool
) -> None:
    """Show the site's thresholds and decisions per script; set an operator's own (both
    values), or give them back to its decisions (--auto)."""
    from service.moderation.policy import Thresholds
    from service.storage.calibration import CalibrationStore

    given = (approve_below, reject_above)
    if auto and any(v is not None for v in given):
        raise click.UsageError("--auto takes no thresholds")
    if not auto and (approve_below is None) != (reject_above is None):
        raise click.UsageError("give both --approve-below and --reject-above")
    with redis_client() as client:
        store = CalibrationStore(client)
        if auto:
            store.set_thresholds(site, None)
        elif approve_below is not None and reject_above is not None:
            try:
                store.set_thresholds(site, Thresholds(approve_below, reject_above))
            except ValueError as exc:
                raise click.UsageError(str(exc)) from None
        calibration = store.calibration(site)
    found = calibration.thresholds
    shown = {
        "thresholds": None if found is None else found.__dict__ | {"set_by": calibration.set_by},
        "scripts": {k: {"spam": v[0], "ham": v[1]} for k, v in sorted(calibration.scripts.items())},
    }
    click.echo(json.dumps(shown, indent=2, ensure_ascii=False))


@sites.command("campaigns")
@SITE
@click.option("--limit", type=click.IntRange(1, 10_000), default=20, show_default=True)
def sites_campaigns(site: str, limit: int) -> None:
    """List the site's largest campaigns of near-copies, with the moderators' latest call."""
    from service.storage.comments import CommentStore

    with redis_client() as client:
        found = CommentStore(client).largest_campaigns(site, limit)
    shown = [
        {"id": c.id, "size": c.size, "decision": c.decision.value if c.decision else None}
        for c in found
    ]
    click.echo(json.dumps(shown, indent=2))


@click.command("stats")
@SITE
@click.option("--from", "first", type=click.DateTime(["%Y-%m-%d"]), help="First UTC day.")
@click.option("--to", "last", type=click.DateTime(["%Y-%m-%d"]), help="Last UTC day (today).")
@click.option("--json", "as_json", is_flag=True, help="As GET /v1/moderation/stats answers.")
def stats(site: str, first: Any, last: Any, as_json: bool) -> None:
    """A site's figures per UTC day (default: the last 30): received, approved, held, spam,
    rejected, moderators' spam and approvals, missed spam, false positives, accuracy."""
    import marshmallow

    from service.api.moderator_schemas import StatsArgs, StatsOut
    from service.moderation.stats import total
    from service.storage.learned import LearnedStore
    from service.storage.stats import StatsStore

    asked = {"from": first and f"{first:%Y-%m-%d}", "to": last and f"{last:%Y-%m-%d}"}
    try:
        days = StatsArgs().load({k: v for k, v in asked.items() if v})
    except marshmallow.ValidationError as exc:  # a reversed or too long span
        raise click.UsageError(str(exc)) from None
    with redis_client() as client:
        found = StatsStore(client).days(site, days)
        learned, _ = LearnedStore(client).summary_of(site)
    summed = total(found, days[0])
    if as_json:
        shown = StatsOut().dump({"days": found, "total": summed, "learned": learned})
        click.echo(json.dumps(shown, indent=2))
        return
    columns = ("received", "approved", "held", "spam", "rejected")
    people = ("moderator_spam", "moderator_approved", "missed_spam", "false_positives")
    click.echo(
        f"{'day':<10}  "
        + "  ".join(f"{c[:8]:>8}" for c in (*columns, "mod_spam", "mod_ok"))
        + f"  {'missed':>8}  {'false+':>8}  {'accuracy':>8}"
    )
    for day in [*found, summed]:
        label = "total" if day is summed else f"{day.day:%Y-%m-%d}"
        counts = "  ".join(f"{getattr(day, c):>8}" for c in (*columns, *people))
        accuracy = "-" if day.accuracy is None else f"{day.accuracy:.1%}"
        click.echo(f"{label:<10}  {counts}  {accuracy:>8}")
    click.echo(f"decisions learned by {site}'s model: {learned}")


def _listed(name: str, value: Any) -> Any:
    if not name.endswith(("_words", "_scripts")):
        return value
    return [part.strip() for part in value.split(",") if part.strip()]


@click.group()
def webhooks() -> None:
    """Each site's webhook: where modq posts its comment events, and how delivery goes."""


def _site_webhooks(client: Any) -> Any:
    from service.cli import load_settings
    from service.moderation.webhooks import SiteWebhooks
    from service.storage.webhooks import WebhookStore
    from service.webhook_sender import resolve

    allow_private = load_settings().webhook_allow_private
    return SiteWebhooks(WebhookStore(client), resolve, allow_private)


def _webhook_errors() -> Any:
    from service.moderation.errors import NoWebhookError, WebhookURLError

    return (NoWebhookError, WebhookURLError)


@webhooks.command("set")
@SITE
@click.option("--url", required=True, help="Where to post, http(s)://...")
def webhooks_set(site: str, url: str) -> None:
    """Point a site's webhook at URL with a new signing secret (printed this once)."""
    with redis_client() as client:
        try:
            endpoint = _site_webhooks(client).set_for(site, url)
        except _webhook_errors() as exc:
            raise click.ClickException(str(exc)) from None
    click.echo(json.dumps({"site": site, "url": endpoint.url, "secret": endpoint.secret}))


@webhooks.command("show")
@SITE
def webhooks_show(site: str) -> None:
    """A site's webhook and its delivery health (events waiting, parked, last error)."""
    import dataclasses

    with redis_client() as client:
        try:
            health = _site_webhooks(client).health_of(site)
        except _webhook_errors() as exc:
            raise click.ClickException(f"no webhook for {site}") from exc
    click.echo(json.dumps({"site": site, **dataclasses.asdict(health)}, sort_keys=True))


@webhooks.command("remove")
@SITE
def webhooks_remove(site: str) -> None:
    """Remove a site's webhook and every event waiting for it."""
    with redis_client() as client:
        try:
            _site_webhooks(client).remove_for(site)
        except _webhook_errors() as exc:
            raise click.ClickException(f"no webhook for {site}") from exc
    click.echo(f"removed the webhook of {site}")


@webhooks.command("redeliver")
@SITE
def webhooks_redeliver(site: str) -> None:
    """Queue a site's parked events again (after its receiver is fixed)."""
    from service.storage.webhooks import WebhookStore

    with redis_client() as client:
        count = WebhookStore(client).redeliver(site)
    click.echo(f"{count} parked events of {site} queued again")
