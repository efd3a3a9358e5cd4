"""`baton webhook add|list|remove`: where Baton POSTs signed events (bot/webhook_sink.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import click
from sqlalchemy.orm import Session

from models.errors import DomainError
from models.services import webhooks

# bot/cli.py registers this group, so its helpers are imported when a command runs.
TEAM_OPTION = click.option("--team", help="Slack team id (default: the only installed workspace).")


@contextmanager
def _workspace_session(team: str | None) -> Iterator[tuple[Session, str]]:
    from bot.cli import _session, _settings, _workspace

    with _session(_settings()) as s:
        yield s, _workspace(s, team)


@click.group("webhook")
def webhook() -> None:
    """Outbound webhooks: signed JSON events for CI, Argo CD, GitHub repository_dispatch..."""


@webhook.command("add")
@click.argument("url")
@click.option(
    "--events",
    required=True,
    help=f"Comma-separated, from: {', '.join(webhooks.EVENTS)}.",
)
@TEAM_OPTION
def webhook_add(url: str, events: str, team: str | None) -> None:
    """POST the chosen events to URL; its signing secret goes to standard output, once."""
    with _workspace_session(team) as (s, team):
        try:
            secret, view = webhooks.add_subscription(s, team, url, events.split(","))
        except DomainError as exc:
            raise click.ClickException(exc.message) from None
    click.echo(f"Added webhook {view.id} for {', '.join(view.events)} to {view.url}.", err=True)
    click.echo(
        "Its signing secret is shown only this once: give it to the receiver, which checks "
        "X-Baton-Signature with it.",
        err=True,
    )
    click.echo(secret)


@webhook.command("list")
@TEAM_OPTION
def webhook_list(team: str | None) -> None:
    """List webhooks as tab-separated columns (never their secrets)."""
    with _workspace_session(team) as (s, team):
        found = webhooks.list_subscriptions(s, team)
    if not found:
        click.echo("no webhooks")
        return
    click.echo("id\turl\tevents\tcreated_at\tstatus")
    for w in found:
        status = "active" if w.active else "removed"
        click.echo(f"{w.id}\t{w.url}\t{','.join(w.events)}\t{w.created_at.isoformat()}\t{status}")


@webhook.command("remove")
@click.argument("webhook_id", type=int)
@TEAM_OPTION
def webhook_remove(webhook_id: int, team: str | None) -> None:
    """Stop sending to webhook ID (deliveries still queued for it are dropped)."""
    with _workspace_session(team) as (s, team):
        try:
            view = webhooks.remove_subscription(s, team, webhook_id)
        except DomainError as exc:
            raise click.ClickException(exc.message) from None
    click.echo(f"Removed webhook {view.id} ({view.url}).")
