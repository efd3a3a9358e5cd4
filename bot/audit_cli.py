"""`baton audit verify|anchor` and `baton policy history`: the chain and the rules, for operators."""

from __future__ import annotations

import sys

import click

from models.audit_chain import canonical_time
from models.base import utcnow
from models.services import audit_verify, people, policy_history, retention
from models.services.audit_verify import TAIL_MISSING, ChainCheck

# bot/cli.py registers these commands, so its helpers are imported when a command runs.
TEAM = click.option("--team", help="Slack team id; every workspace when omitted.")


@click.command("verify")
@TEAM
def audit_verify_cmd(team: str | None) -> None:
    """Recompute the audit chain; name the first event changed, removed or inserted (exit 1)."""
    from bot.cli import _session, _settings

    with _session(_settings()) as s:
        teams = [team] if team else audit_verify.teams(s)
        checks = [audit_verify.verify(s, t) for t in teams]
        actors = {c.team_id: people.names(s, c.team_id, _actors(c)) for c in checks}
    if not checks:
        click.echo("OK: 0 events (no audit trail yet)")
    for c in checks:
        click.echo(describe(c, actors[c.team_id]))
    if any(not c.ok for c in checks):
        sys.exit(1)


def describe(c: ChainCheck, names: dict[str, str]) -> str:
    where = f" (workspace {c.team_id})"
    if c.broken is None:
        at = canonical_time(c.head_at) if c.head_at else "-"
        return f"OK: {c.events:,} events, head {c.head_hash or '-'} at {at}{where}"
    b = c.broken
    if b.event_id is None:
        return f"FAILED: {b.problem}{where}"
    at = canonical_time(b.at) if b.at else "-"
    who = names.get(b.actor or "", b.actor)
    place = "after" if b.problem.startswith(TAIL_MISSING) else "at"
    return f"FAILED {place} event #{b.event_id} ({at}, {b.action} by {who}): {b.problem}{where}"


def _actors(c: ChainCheck) -> list[str]:
    return [c.broken.actor] if c.broken and c.broken.actor else []


@click.command("anchor")
@TEAM
def audit_anchor_cmd(team: str | None) -> None:
    """Print each workspace's chain head with its time: keep it outside Baton's database."""
    from bot.cli import _session, _settings

    with _session(_settings()) as s:
        teams = [team] if team else audit_verify.teams(s)
        heads = [(t, audit_verify.anchor(s, t)) for t in teams]
    if not heads:
        click.echo("no audit trail yet")
    for t, head in heads:
        if head is None or head.head_hash is None:
            click.echo(f"{t}\tno events")
            continue
        at = canonical_time(head.updated_at) if head.updated_at else "-"
        click.echo(
            f"{t}\t{head.head_hash}\t{at}\t{head.events} events\tevent #{head.head_event_id}"
        )


@click.command("history")
@TEAM
def policy_history_cmd(team: str | None) -> None:
    """The policy versions hand-offs were opened under, with when each was first used."""
    from bot.cli import _session, _settings

    with _session(_settings()) as s:
        rows = [
            (v.team_id, v.hash, v.first_used_at, len(v.policy.get("transitions", [])))
            for v in policy_history.versions(s, team)
        ]
    if not rows:
        click.echo("no hand-off has been opened under a recorded policy yet")
    for t, digest, at, count in rows:
        click.echo(f"{t}\t{digest[:16]}\tfirst used {canonical_time(at)}\t{count} transitions")


@click.group("observations")
def observations_group() -> None:
    """Monitoring observations (metric values) and their retention."""


@observations_group.command("prune")
@click.option(
    "--days", type=click.IntRange(min=1), help="Override BATON_OBSERVATION_RETENTION_DAYS."
)
def observations_prune_cmd(days: int | None) -> None:
    """Delete observations older than the retention setting; audit events are never deleted."""
    from bot.cli import _session, _settings

    settings = _settings()
    days = days or settings.baton_observation_retention_days
    if days is None:
        click.echo(
            "retention is 'keep' (BATON_OBSERVATION_RETENTION_DAYS is unset): nothing pruned"
        )
        return
    cutoff = retention.retention_cutoff(days, utcnow())
    with _session(settings) as s:
        counts = retention.prune_observations(s, cutoff)
    total = sum(counts.values())
    click.echo(f"pruned {total} observation(s) older than {days} days ({canonical_time(cutoff)})")
