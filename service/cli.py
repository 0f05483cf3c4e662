"""The `modq` command: serve, api, worker, learner, keys; a site's policy and what it
learned (`service/sites_cli.py`), and what other packages register."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib.metadata import entry_points
from typing import TYPE_CHECKING, Any

import click

from service import logs
from service.moderation.access import KeyKind, check_site_name
from service.settings import Settings, SettingsError
from service.storage import server as redis_server
from service.storage.connection import connect

if TYPE_CHECKING:
    from service.loop import Build


def load_settings(**overrides: Any) -> Settings:
    """Read the settings, or stop with a message that names the bad variable."""
    try:
        settings = Settings.from_env(**{k: v for k, v in overrides.items() if v is not None})
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from None
    logs.configure(settings.log_level)
    return settings


@contextlib.contextmanager
def redis_for(settings: Settings) -> Iterator[str]:
    """Yield the Redis URL to use, starting the embedded server if REDIS_URL is unset."""
    if settings.redis_url:
        yield settings.redis_url
    else:
        with redis_server.embedded(settings) as url:
            yield url


#: The entry-point group through which other packages add commands (model/ adds `train` and
#: `evaluate`), so that the service never imports them.
COMMANDS_GROUP = "modq.commands"


class Commands(click.Group):
    """modq's own commands, and those registered under COMMANDS_GROUP, loaded when called."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        registered = {point.name for point in entry_points(group=COMMANDS_GROUP)}
        return sorted({*super().list_commands(ctx), *registered})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        own = super().get_command(ctx, cmd_name)
        if own is not None:
            return own
        points = entry_points(group=COMMANDS_GROUP, name=cmd_name)
        command: click.Command | None = next((p.load() for p in points), None)
        return command


@click.group(cls=Commands)
def main() -> None:
    """modq: comment moderation with a spam model, a review queue and moderators."""


@main.command()
@click.option("--host", help="Address to bind [MODQ_HOST].")
@click.option("--port", type=int, help="Port to bind [MODQ_PORT].")
@click.option("--api-workers", type=int, help="gunicorn worker processes [MODQ_API_WORKERS].")
@click.option(
    "--scoring-workers", type=int, help="Scoring workers, 0 for none [MODQ_SCORING_WORKERS]."
)
@click.option("--learning-workers", type=int, help="Learners, 0 for none [MODQ_LEARNING_WORKERS].")
def serve(**options: Any) -> None:
    """Run the API, the scoring workers, the learner and (without REDIS_URL) an embedded Redis."""
    from service.serve import Supervisor

    settings = load_settings(**options)
    sys.exit(Supervisor(settings).run())


@main.command()
def api() -> None:
    """Run only the HTTP API under gunicorn (REDIS_URL must be set)."""
    from service.serve import gunicorn_args

    settings = load_settings()
    if settings.embedded_redis:
        raise click.UsageError("REDIS_URL: 'modq api' needs it; use 'modq serve' for everything")
    args = gunicorn_args(settings)
    os.execv(args[0], args)


BURST = click.option("--burst", is_flag=True, help="Exit once nothing is waiting.")
NAME = click.option("--name", help="Stable name, so a restarted process resumes what it held.")


@main.command()
@BURST
@NAME
def worker(burst: bool, name: str | None) -> None:
    """Run one scoring worker until SIGTERM."""
    from service.worker import Worker

    _run_loop(Worker.build, "worker", burst, name)


@main.command()
@BURST
@NAME
def learner(burst: bool, name: str | None) -> None:
    """Run one learner (moderators' decisions -> each site's model) until SIGTERM."""
    from service.learner import Learner

    _run_loop(Learner.build, "learner", burst, name)


@main.command()
@BURST
def sender(burst: bool) -> None:
    """Run the webhook sender (each site's events to its webhook) until SIGTERM."""
    from service.webhook_sender import run_process

    settings = load_settings()
    with redis_for(settings) as url:
        run_process(settings, url, burst=burst)


def _run_loop(build: Build, kind: str, burst: bool, name: str | None) -> None:
    from service.loop import run_process

    settings = load_settings()
    with redis_for(settings) as url:
        run_process(build, kind, settings, url, burst=burst, name=name)


@main.command()
@click.option(
    "--partitions",
    type=click.IntRange(1, 16_384),
    help="Partitions to spread the keys over [MODQ_PARTITIONS, else 1].",
)
def migrate(partitions: int | None) -> None:
    """Move data from the layout before partitions into partitions (with modq stopped;
    `modq serve` does it by itself)."""
    from service.storage import layout

    settings = load_settings()
    with redis_for(settings) as url:
        client = connect(url, timeout_s=30)
        if not layout.old_layout(client):
            count = layout.adopt(client, None)
            click.echo(f"nothing to move: the data is in {count} partitions")
            return
        moved = layout.migrate(client, partitions or settings.partitions or 1)
    click.echo(
        f"moved {sum(moved.keys.values())} keys ({dict(moved.keys)}) and "
        f"{sum(moved.entries.values())} stream entries ({dict(moved.entries)})"
    )


@main.group()
def keys() -> None:
    """Create, list and revoke site keys and moderator tokens."""


@keys.command("create")
@click.option("--site", required=True, help="The site the key belongs to, e.g. news.example.")
@click.option("--moderator", "moderator", help="Create a moderator token for this person instead.")
@click.option(
    "--akismet",
    is_flag=True,
    help="A site key in Akismet's 12-character form, for Akismet clients (docs/akismet.md).",
)
def keys_create(site: str, moderator: str | None, akismet: bool) -> None:
    """Print a new site key (or moderator token); it is shown only this once."""
    try:
        check_site_name(site)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--site") from None
    if moderator and akismet:
        raise click.UsageError("--akismet makes a site key; a moderator token has no such form")
    kind = KeyKind.MODERATOR if moderator else KeyKind.SITE
    with _key_store() as store:
        record, token = store.create(kind, site, moderator or "", akismet)
    click.echo(token)
    click.echo(f"created {kind.value} key {record.principal.key_id} for {site}", err=True)


@keys.command("list")
@click.option("--site", help="Only this site's keys.")
def keys_list(site: str | None) -> None:
    """List keys by id (never their secrets)."""
    with _key_store() as store:
        records = store.list(site)
    for record in records:
        p = record.principal
        created = datetime.fromtimestamp(record.created_at, UTC).isoformat(timespec="seconds")
        state = "revoked" if record.revoked else "active"
        click.echo(f"{p.key_id}  {p.kind.value:<9}  {p.site}  {p.name or '-'}  {created}  {state}")


@keys.command("revoke")
@click.argument("key_id")
def keys_revoke(key_id: str) -> None:
    """Revoke a key by its id; requests with it then answer 401."""
    with _key_store() as store:
        if not store.revoke(key_id):
            raise click.ClickException(f"no key with id {key_id}")
    click.echo(f"revoked {key_id}")


@keys.command("rotate")
@click.argument("key_id")
def keys_rotate(key_id: str) -> None:
    """Print a new key for the same site (and moderator) and revoke KEY_ID at once."""
    with _key_store() as store:
        rotated = store.rotate(key_id)
    if rotated is None:
        raise click.ClickException(f"no key with id {key_id}")
    record, token = rotated
    click.echo(token)
    click.echo(f"revoked {key_id}; new key {record.principal.key_id}", err=True)


@contextlib.contextmanager
def _key_store() -> Iterator[Any]:
    from service.storage.apikeys import KeyStore

    with redis_client() as client:
        yield KeyStore(client)


@contextlib.contextmanager
def redis_client() -> Iterator[Any]:
    """A client of the Redis the settings name, or of the embedded one, started if need be."""
    from service.storage.layout import LayoutError, adopt

    settings = load_settings()
    with redis_for(settings) as url:
        client = connect(url, timeout_s=5)
        try:
            adopt(client, settings.partitions)
        except LayoutError as exc:
            raise click.ClickException(str(exc)) from None
        yield client


# Registered last: they use redis_client above.
from service.sites_cli import learned, sites, stats, webhooks  # noqa: E402

main.add_command(learned)
main.add_command(sites)
main.add_command(stats)
main.add_command(webhooks)
