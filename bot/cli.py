"""The `baton` command. Each subcommand is a thin shell over bot/ wiring and domain services."""

from __future__ import annotations

import csv
import io
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import click
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.config import ConfigError, Settings, load_settings
from bot.db import make_engine, make_session_factory, migrate, session_scope
from models.errors import DomainError
from models.policy import PolicyError, load_policy
from models.project import Project
from models.schemas import AuditEntry
from models.services import audit, projects
from models.services.common import get_project

MANIFEST = Path(__file__).resolve().parent / "manifest.yml"


def _settings() -> Settings:
    try:
        return load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None


@contextmanager
def _session(settings: Settings) -> Iterator[Session]:
    engine = make_engine(settings.baton_database_url)
    try:
        with session_scope(make_session_factory(engine)) as s:
            yield s
    finally:
        engine.dispose()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """Baton: carries ML projects across MLOps hand-offs, in Slack."""


@main.group()
def db() -> None:
    """Database schema management."""


@db.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration (keeps every row)."""
    settings = _settings()
    engine = make_engine(settings.baton_database_url)
    migrate(engine)
    engine.dispose()
    click.echo("database is at the latest schema")


@main.group()
def policy() -> None:
    """Hand-off policy files."""


@policy.command("check")
@click.argument("file", type=click.Path(dir_okay=False))
def policy_check(file: str) -> None:
    """Validate a policy YAML FILE; prints each problem with its line."""
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
    with _session(_settings()) as s:
        teams = [team] if team else sorted(set(s.scalars(select(Project.team_id))))
        rows = [
            (t, p)
            for t in teams
            for p in projects.list_projects(s, t, include_archived=include_archived)
        ]
    if not rows:
        click.echo("no projects")
    for t, p in rows:
        click.echo(f"{t}\t{p.key}\t{p.stage.value}\t{p.name}")


@main.group("audit")
def audit_group() -> None:
    """The audit trail."""


@audit_group.command("export")
@click.option("--project", "key", required=True, help="Project key.")
@click.option("--team", help="Slack team id (needed when the key exists in several workspaces).")
@click.option(
    "--format", "fmt", type=click.Choice(["csv", "json"]), default="csv", show_default=True
)
def audit_export(key: str, team: str | None, fmt: str) -> None:
    """Export a project's whole audit trail, oldest first, to standard output."""
    with _session(_settings()) as s:
        team = team or _only_team_with(s, key)
        try:
            entries = audit.export(s, team, get_project(s, team, key))
        except DomainError as exc:
            raise click.ClickException(exc.message) from None
    click.echo(render_audit(entries, fmt), nl=False)


def _only_team_with(s: Session, key: str) -> str:
    teams = sorted(set(s.scalars(select(Project.team_id).where(Project.key == key))))
    if not teams:
        raise click.ClickException(f"no project '{key}'")
    if len(teams) > 1:
        raise click.ClickException(f"'{key}' exists in {', '.join(teams)}: choose one with --team")
    return teams[0]


AUDIT_COLUMNS = ["id", "created_at", "project_key", "actor", "action", "detail"]


def render_audit(entries: list[AuditEntry], fmt: str) -> str:
    """CSV or JSON of audit entries; shared by the CLI and the HTTP export."""
    if fmt == "json":
        return json.dumps([e.model_dump(mode="json") for e in entries], indent=2) + "\n"
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(AUDIT_COLUMNS)
    for e in entries:
        row = e.model_dump(mode="json")
        writer.writerow(
            [*(row[c] for c in AUDIT_COLUMNS[:-1]), json.dumps(row["detail"], sort_keys=True)]
        )
    return out.getvalue()


@main.command()
@click.option("--workers", default=1, show_default=True, help="gunicorn worker processes.")
@click.option("--threads", default=8, show_default=True, help="Threads per worker.")
def serve(workers: int, threads: int) -> None:
    """Run the HTTP server (Slack requests, health) on BATON_HOST:BATON_PORT."""
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
    settings = _settings()
    try:
        settings.require_socket()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    from bot import server

    server.socket(settings)


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


if __name__ == "__main__":
    main()
