"""The `baton` command. Each subcommand is a thin shell over bot/ wiring and domain services.

Only click is imported at start: each command imports what it uses, and the commands in
modules of their own (`gate`, `webhook`, ...) are imported when named. `baton gate` in a CI job
so starts without the ORM, the domain or Slack's SDK (about a second each time)."""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from bot.config import Settings
    from bot.runtime import Runtime

MANIFEST = Path(__file__).resolve().parent / "manifest.yml"


class LazyGroup(click.Group):
    """A group whose commands in other modules are imported when named (or all, for help)."""

    def __init__(self, *args: Any, lazy: dict[str, str] | None = None, **kwargs: Any) -> None:
        self._lazy = dict(lazy or {})  # name -> "module:attribute"
        super().__init__(*args, **kwargs)

    @property  # type: ignore[override]
    def commands(self) -> dict[str, click.Command]:
        for name in list(self._lazy):
            self._load(name)
        return self._commands

    @commands.setter
    def commands(self, value: dict[str, click.Command]) -> None:
        self._commands = value

    def add_lazy(self, name: str, target: str) -> None:
        self._lazy[name] = target

    def add_command(self, cmd: click.Command, name: str | None = None) -> None:
        name = name or cmd.name
        assert name is not None
        self._lazy.pop(name, None)
        self._commands[name] = cmd

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self._lazy:
            self._load(cmd_name)
        return self._commands.get(cmd_name)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self._commands, *self._lazy})

    def _load(self, name: str) -> None:
        module, _, attribute = self._lazy.pop(name).partition(":")
        command = getattr(importlib.import_module(module), attribute)
        assert isinstance(command, click.Command) and command.name == name, (name, command)
        self._commands[name] = command


class LazyChoice(click.Choice):  # type: ignore[type-arg]
    """A choice whose values live in a module imported only when they are needed."""

    def __init__(self, values: Callable[[], Sequence[str]]) -> None:
        self._values = values
        super().__init__(())

    @property  # type: ignore[override]
    def choices(self) -> tuple[str, ...]:
        return tuple(self._values())

    @choices.setter
    def choices(self, _value: Sequence[str]) -> None:
        pass


def _dossier_formats() -> Sequence[str]:
    from bot.dossier_render import DOSSIER_FORMATS

    return DOSSIER_FORMATS


def _outbox_statuses() -> Sequence[str]:
    from models.enums import OutboxStatus
    from models.services.outbox_admin import ALL, UNSENT

    return [UNSENT, ALL, *(s.value for s in OutboxStatus)]


def _settings() -> Settings:
    from bot.config import ConfigError, load_settings

    try:
        return load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


def _require_schema(settings: Settings) -> None:
    """Commands that read or change data never create or migrate a database: only `db upgrade`
    and the long-running commands (serve, socket, worker, sandbox) do."""
    from bot.db import SchemaNotReady, require_schema

    try:
        require_schema(settings.baton_database_url)
    except SchemaNotReady as exc:
        raise click.ClickException(str(exc)) from None


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    from bot.db import make_engine, make_session_factory, session_scope

    _require_schema(settings)
    engine = make_engine(settings.baton_database_url)
    try:
        with session_scope(make_session_factory(engine)) as s:
            yield s
    finally:
        engine.dispose()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Baton: carries ML projects across MLOps hand-offs, in Slack."""


@main.group()
def db() -> None:
    """Database schema management."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration (keeps every row)."""
    from bot.db import make_engine, migrate

    settings = _settings()
    engine = make_engine(settings.baton_database_url)
    migrate(engine)
    engine.dispose()
    click.echo("database is at the latest schema")


@main.group(cls=LazyGroup)
def policy() -> None:
    """Hand-off policy files."""


@policy.command("check")
@click.argument("file", type=click.Path(dir_okay=False))
def policy_check(file: str) -> None:
    """Validate a policy YAML FILE; prints each problem with its line."""
    from models.policy import PolicyError, load_policy

    try:
        loaded = load_policy(file)
    except OSError as exc:
        raise click.ClickException(f"cannot read {file}: {exc.strerror}") from None
    except PolicyError as exc:
        for problem in exc.problems:
            click.echo(f"{file}: {problem}", err=True)
        sys.exit(1)
    for t in loaded.transitions:
        signers = ", ".join(r.value for r in t.signoff)
        click.echo(f"ok  {t.name}: sign-off by {signers}; SLA {t.sla_hours:g} h")


@main.group()
def project() -> None:
    """Projects across workspaces."""


@project.command("list")
@click.option("--team", help="Slack team id; all workspaces when omitted.")
@click.option("--all", "include_archived", is_flag=True, help="Include archived projects.")
def project_list(team: str | None, include_archived: bool) -> None:
    """List projects with their stage."""
    from models.services import projects, workspaces

    with _session(_settings()) as s:
        teams = [team] if team else workspaces.teams_with_projects(s)
        rows = [
            (t, p)
            for t in teams
            for p in projects.list_projects(s, t, include_archived=include_archived)
        ]
    if not rows:
        click.echo("no projects")
    for t, p in rows:
        click.echo(f"{t}\t{p.key}\t{p.stage.value}\t{p.name}")


@main.group("audit", cls=LazyGroup)
def audit_group() -> None:
    """The audit trail."""


@audit_group.command("export")
@click.option("--project", "key", required=True, help="Project key.")
@click.option("--team", help="Slack team id (needed when the key exists in several workspaces).")
@click.option(
    "--format", "fmt", type=LazyChoice(_dossier_formats), default="csv", show_default=True
)
def audit_export(key: str, team: str | None, fmt: str) -> None:
    """A project's evidence dossier (html, md, json) or its audit trail (csv), to standard
    output. Names are looked up in Slack when a bot token is configured."""
    from bot.db import make_engine, make_session_factory, session_scope
    from bot.dossier_render import dossier_file
    from bot.slack import make_client
    from models.errors import DomainError
    from models.services import workspaces

    settings = _settings()
    _require_schema(settings)
    engine = make_engine(settings.baton_database_url)
    factory = make_session_factory(engine)
    try:
        with session_scope(factory) as s:
            team = team or workspaces.only_team_with(s, key)
        client = make_client(settings) if settings.slack_bot_token else None
        text = dossier_file(
            lambda: session_scope(factory), client, team, key, settings.policy(), fmt
        )
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    finally:
        engine.dispose()
    click.echo(text, nl=False)


@main.group("api-token")
def api_token() -> None:
    """Bearer tokens for pipelines calling /api/v1 (stored hashed, shown once)."""


TEAM_OPTION = click.option("--team", help="Slack team id (default: the only installed workspace).")


@api_token.command("create")
@click.argument("name")
@TEAM_OPTION
def api_token_create(name: str, team: str | None) -> None:
    """Create token NAME; the token alone goes to standard output, once."""
    from models.errors import DomainError
    from models.services import tokens

    with _session(_settings()) as s:
        team = _workspace(s, team)
        try:
            plaintext, view = tokens.create_token(s, team, name)
        except DomainError as exc:
            raise click.ClickException(exc.message) from None
    click.echo(f"Created API token '{view.name}' for workspace {team}.", err=True)
    click.echo("Store it now in your secret store: it is shown only this once.", err=True)
    click.echo(plaintext)


@api_token.command("list")
@TEAM_OPTION
def api_token_list(team: str | None) -> None:
    """List tokens as tab-separated columns (never the tokens themselves)."""
    from models.services import tokens

    with _session(_settings()) as s:
        found = tokens.list_tokens(s, _workspace(s, team))
    if not found:
        click.echo("no API tokens")
        return
    click.echo("name\tprefix\tcreated_at\tlast_used_at\tstatus")
    for t in found:
        used = t.last_used_at.isoformat() if t.last_used_at else "never"
        status = "active" if t.active else f"revoked {t.revoked_at:%Y-%m-%d}"
        click.echo(f"{t.name}\t{t.prefix}…\t{t.created_at.isoformat()}\t{used}\t{status}")


@api_token.command("revoke")
@click.argument("name")
@TEAM_OPTION
def api_token_revoke(name: str, team: str | None) -> None:
    """Revoke token NAME: calls with it are refused from now on."""
    from models.errors import DomainError
    from models.services import tokens

    with _session(_settings()) as s:
        team = _workspace(s, team)
        try:
            tokens.revoke_token(s, team, name)
        except DomainError as exc:
            raise click.ClickException(exc.message) from None
    click.echo(f"Revoked API token '{name}' of workspace {team}.")


def _workspace(s: Session, team: str | None) -> str:
    """The given workspace if installed, else the only installed one."""
    from models.errors import DomainError
    from models.services import workspaces

    try:
        return workspaces.installed_workspace(s, team)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None


@main.command()
@click.option("--workers", default=1, show_default=True, help="gunicorn worker processes.")
@click.option("--threads", default=8, show_default=True, help="Threads per worker.")
def serve(workers: int, threads: int) -> None:
    """Run the HTTP server (Slack requests, health) on BATON_HOST:BATON_PORT."""
    from bot.config import ConfigError

    settings = _settings()
    try:
        settings.require_http()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    from bot import server

    server.serve(settings, workers=workers, threads=threads)


@main.command()
def socket() -> None:
    """Run over Socket Mode (no public URL needed; SLACK_APP_TOKEN)."""
    from bot.config import ConfigError

    settings = _settings()
    try:
        settings.require_socket()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    from bot import server

    server.socket(settings)


@main.command()
def worker() -> None:
    """Run outbox delivery and the scheduled jobs only, until SIGTERM/SIGINT (no web server).

    Pair it with BATON_SCHEDULER=off on the web processes to keep jobs out of them."""
    settings = _settings()
    if settings.slack_bot_token is None or not settings.slack_bot_token.get_secret_value():
        raise click.ClickException("SLACK_BOT_TOKEN is not set: the worker posts to Slack with it.")
    from bot import server

    server.worker(settings)


@main.command()
@click.option("--team", help="Slack team id (needed when a key or channel is in several).")
@click.option("--channel", help="Post into this channel (default: each home channel).")
@click.option("--project", "key", help="Only this project's digest.")
def digest(team: str | None, channel: str | None, key: str | None) -> None:
    """Post digests now and deliver them: every home channel's, one channel's or one project's."""
    from bot.runtime import Runtime
    from bot.scheduler import job_context
    from jobs.digest import post_each
    from models.base import utcnow
    from models.errors import DomainError
    from models.services import digest_post

    settings = _settings()
    _require_schema(settings)
    rt = Runtime.from_settings(settings)
    try:
        with rt.session() as s:
            targets = digest_post.digest_targets(s, team, channel, key)
        if not targets:
            raise click.ClickException("no live projects: nothing to digest")
        queued = post_each(job_context(rt), targets, utcnow())
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"queued {len(queued)} digest(s)")
    if settings.slack_bot_token is None:
        click.echo("SLACK_BOT_TOKEN is not set: the digests wait in the outbox for the bot")
    else:
        _deliver_once(rt, queued)
    rt.engine.dispose()


def _deliver_once(rt: Runtime, ids: list[int]) -> None:
    from bot.delivery import Deliverer
    from models.enums import OutboxStatus
    from models.services import outbox_admin

    deliverer = Deliverer(rt)
    for _ in range(100):  # a failed send is rescheduled into the future, so this ends
        if not deliverer.deliver_due():
            break
    with rt.session() as s:
        rows = outbox_admin.messages(s, ids)
    for row in rows:
        if row.status != OutboxStatus.SENT:
            click.echo(f"not sent to {row.target} yet: {row.last_error or row.status.value}")
    click.echo(f"delivered {sum(r.status == OutboxStatus.SENT for r in rows)} of {len(ids)}")


@main.group("outbox")
def outbox_group() -> None:
    """Slack messages owed: waiting, failed or sent."""


OUTBOX_COLUMNS = ("id", "status", "topic", "target", "attempts", "last_error", "next_attempt_at")


@outbox_group.command("list")
@click.option(
    "--status",
    type=LazyChoice(_outbox_statuses),
    default="unsent",
    show_default=True,
    help="unsent: pending, sending and failed.",
)
@click.option("--limit", default=100, show_default=True, help="The newest N rows.")
def outbox_list(status: str, limit: int) -> None:
    """List outbox messages, oldest first, as tab-separated columns."""
    from models.services import outbox_admin

    with _session(_settings()) as s:
        rows = outbox_admin.list_messages(s, status, limit)
    if not rows:
        click.echo("no messages")
        return
    click.echo("\t".join(OUTBOX_COLUMNS))
    for r in rows:
        target = r.target
        error = (r.last_error or "").replace("\t", " ").replace("\n", " ")
        when = r.next_attempt_at.isoformat()
        click.echo(f"{r.id}\t{r.status.value}\t{r.topic}\t{target}\t{r.attempts}\t{error}\t{when}")


@outbox_group.command("retry")
@click.argument("message_id", type=int)
def outbox_retry(message_id: int) -> None:
    """Queue a failed or pending message again, due now, with a fresh count of attempts."""
    from models.base import utcnow
    from models.errors import DomainError
    from models.services import outbox_admin

    try:
        with _session(_settings()) as s:
            row = outbox_admin.retry(s, message_id, utcnow())
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    click.echo(f"outbox message {message_id} ({row.topic} to {row.target}) is queued again")


@main.command()
@click.option("--url", required=True, help="Public base URL, e.g. https://baton.example.com")
@click.option("--socket-mode", is_flag=True, help="Socket Mode: no request URLs needed.")
def manifest(url: str, socket_mode: bool) -> None:
    """Print manifest.yml with the request URLs filled in."""
    click.echo(render_manifest(url, socket_mode=socket_mode), nl=False)


def render_manifest(url: str, *, socket_mode: bool = False) -> str:
    if not url.startswith("https://") and not url.startswith("http://localhost"):
        raise click.BadParameter("Slack only calls https:// URLs", param_hint="--url")
    text = MANIFEST.read_text(encoding="utf-8").replace("https://YOUR-HOST", url.rstrip("/"))
    if socket_mode:
        text = text.replace("socket_mode_enabled: false", "socket_mode_enabled: true")
    return text


@main.command()
@click.option("--port", default=3000, show_default=True, type=click.IntRange(0, 65535))
@click.option("--seed", type=click.Choice(["demo"]), help="Seed demo projects, roster, hand-offs.")
def sandbox(port: int, seed: str | None) -> None:
    """Try Baton without Slack: a built-in Slack emulator and its page at /sandbox (loopback).

    Uses BATON_DATABASE_URL if set, else sandbox.db, which is recreated on each start."""
    from bot.config import ConfigError
    from bot.sandbox import SandboxError, run_sandbox

    try:
        run_sandbox(port, seed)
    except (ConfigError, SandboxError) as exc:
        raise click.ClickException(str(exc)) from None


# Commands in modules of their own, imported when named.
main.add_lazy("gate", "bot.gate:gate")
audit_group.add_lazy("verify", "bot.audit_cli:audit_verify_cmd")
audit_group.add_lazy("anchor", "bot.audit_cli:audit_anchor_cmd")
policy.add_lazy("history", "bot.audit_cli:policy_history_cmd")
main.add_lazy("observations", "bot.audit_cli:observations_group")
main.add_lazy("webhook", "bot.webhook_cli:webhook")


if __name__ == "__main__":
    main()
