"""The evidence dossier as a file: one self-contained HTML page (inline CSS, prints well),
Markdown, JSON or CSV. Every value a person typed is escaped for the format it lands in."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.dossier_html import render_html
from bot.exports import AUDIT_COLUMNS
from bot.names import fill_names
from models.base import utcnow
from models.policy import Policy
from models.schemas.dossier import Dossier, HandoffRecord, Person
from models.services import dossier

DOSSIER_FORMATS = ("html", "md", "json", "csv")
DOSSIER_MEDIA_TYPES = {
    "html": "text/html; charset=utf-8",
    "md": "text/markdown; charset=utf-8",
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
}
CSV_COLUMNS = AUDIT_COLUMNS  # the plain audit export has the same columns


def render_dossier(d: Dossier, fmt: str) -> str:
    return {"html": render_html, "md": _markdown, "json": _json, "csv": _csv}[fmt](d)


def _when(at: datetime | None) -> str:
    return at.strftime("%Y-%m-%d %H:%M UTC") if at else "—"


def _who(p: Person | None) -> str:
    if p is None:
        return "—"
    return p.name if p.name == p.id else f"{p.name} ({p.id})"


def _json(d: Dossier) -> str:
    return json.dumps(d.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n"


def _csv(d: Dossier) -> str:
    """The audit trail's structured columns, with the actor's name and the sentence beside."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for e in d.events:
        writer.writerow(
            [
                e.id,
                e.at.isoformat(),
                d.key,
                e.actor.id,
                e.actor.name,
                e.action,
                e.sentence,
                json.dumps(e.detail, sort_keys=True, ensure_ascii=False),
                e.hash,
            ]
        )
    return out.getvalue()


# -- Markdown ---------------------------------------------------------------------------------


def _md(text: object) -> str:
    """Table-safe Markdown text: pipes, markup and line breaks cannot change the layout."""
    value = str(text) if text is not None else "—"
    for ch in "\\`*_[]<>|#":
        value = value.replace(ch, "\\" + ch)
    return value.replace("\r", " ").replace("\n", " ")


def _markdown(d: Dossier) -> str:
    chain = "verified" if d.chain.ok else f"FAILED — {d.chain.problem}"
    lines = [
        f"# Evidence dossier: {_md(d.name)} ({_md(d.key)})",
        "",
        f"- Stage: {d.stage}; workspace {d.team_id}; generated {_when(d.generated_at)}",
        f"- Created by {_md(_who(d.created_by))} on {_when(d.created_at)}",
        f"- Overseer (may stop the project at any time): "
        f"{_md(_who(d.overseer)) if d.overseer else 'none named'}",
        f"- Audit chain: {chain}; {d.chain.events} events; head `{d.chain.head_hash or '—'}`"
        f" at {_when(d.chain.head_at)}",
        "",
        "## Stage history",
        "",
        *[f"- {_when(s.at)}: {_md(s.how)}" for s in d.stage_history],
        "",
        "## Hand-offs",
    ]
    for h in d.handoffs:
        lines += _md_handoff(h)
    lines += ["", "## Lineage", ""]
    for m in d.lineage:
        approvers = ", ".join(_who(p) for p in m.approvers) or "—"
        lines.append(
            f"- {_md(m.model_name)} {_md(m.version)}: data {_md(m.training_data)} from"
            f" {_md(m.data_source)}; run {_md(m.run_id)}; approved by {_md(approvers)}"
        )
    lines += ["", "## Monitors and alerts", ""]
    for mon in d.monitors:
        lines.append(f"- {_md(mon.metric)} {mon.direction} {mon.threshold:g}")
        for a in mon.alerts:
            ack = f", acknowledged by {_md(_who(a.acknowledged_by))}" if a.acknowledged_by else ""
            lines.append(f"  - alert #{a.id} {a.status}: {a.value:g} at {_when(a.opened_at)}{ack}")
    lines += ["", "## Audit trail", "", "| # | When | Event |", "|---|---|---|"]
    lines += [f"| {e.id} | {_when(e.at)} | {_md(e.sentence)} |" for e in d.events]
    return "\n".join(lines) + "\n"


def _md_handoff(h: HandoffRecord) -> list[str]:
    r = h.rules
    rules = (
        "its own snapshot" if r.from_snapshot else "the current policy (opened before snapshots)"
    )
    lines = [
        "",
        f"### #{h.id} {h.transition} — {h.status} (round {h.round})",
        "",
        f"Requested by {_md(_who(h.requested_by))} on {_when(h.requested_at)}; judged by {rules}"
        f" (version {r.policy_version or '—'}): sign-off by {', '.join(r.signoff)}; SLA"
        f" {r.sla_hours:g} h."
        if r.sla_hours
        else "",
        "",
        *[f"- **{_md(e.label)}**: {_md(e.as_read())}" for e in h.packet],
        "",
        "| Round | Role | Person | Decision | When | Reason |",
        "|---|---|---|---|---|---|",
        *[
            f"| {x.round} | {_md(x.role)} | {_md(_who(x.person))} | {x.decision} | {_when(x.at)}"
            f" | {_md(x.reason)} |"
            for x in h.decisions
        ],
    ]
    lines += [f"- Refused: {_md(e.sentence)} ({_when(e.at)})" for e in h.refusals]
    lines += [f"- {x.kind.capitalize()} to {x.role} ({_when(x.at)})" for x in h.reminders]
    return lines


def dossier_file(
    session: Callable[[], AbstractContextManager[Session]],
    client: WebClient | None,
    team_id: str,
    key: str,
    policy: Policy,
    fmt: str,
) -> str:
    """The dossier in one format; with a Slack client, unknown names are looked up first.
    Raises NotFound for a key that is not a project of this workspace."""
    if client is not None:
        with session() as s:
            ids = dossier.people_of(s, team_id, key, policy)
        fill_names(client, session, team_id, ids)
    with session() as s:
        return render_dossier(dossier.build(s, team_id, key, policy, utcnow()), fmt)
