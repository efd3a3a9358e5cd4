"""The dossier as one self-contained HTML file: no script, no external asset, print styles.
Every value goes through `_e` (html.escape), so typed text never becomes markup."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from html import escape

from models.schemas.dossier import DecisionLine, Dossier, HandoffRecord, MonitorRecord, Person

CSS = """
:root { --ink:#1d1c1d; --muted:#616061; --line:#dddddd; --ok:#1a7f37; --bad:#b42318; }
* { box-sizing: border-box; }
body { font: 14px/1.45 -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
  color: var(--ink); margin: 0 auto; max-width: 960px; padding: 32px 28px; }
h1 { font-size: 24px; margin: 0 0 4px; } h2 { font-size: 18px; margin: 28px 0 8px;
  border-bottom: 2px solid var(--ink); padding-bottom: 3px; }
h3 { font-size: 15px; margin: 20px 0 6px; }
.sub { color: var(--muted); margin: 0 0 16px; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 3px 16px; margin: 0; }
.facts dt { color: var(--muted); } .facts dd { margin: 0; }
.chain { border: 2px solid var(--ok); border-radius: 6px; padding: 10px 14px; margin: 16px 0; }
.chain.bad { border-color: var(--bad); } .chain strong { color: var(--ok); }
.chain.bad strong { color: var(--bad); }
code, .hash { font-family: "DejaVu Sans Mono", Menlo, monospace; font-size: 12px;
  overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; }
th, td { text-align: left; vertical-align: top; padding: 4px 8px; border-bottom: 1px solid var(--line); }
th { font-size: 12px; color: var(--muted); font-weight: 600; }
.approved { color: var(--ok); } .rejected, .refused { color: var(--bad); }
.changes_requested { color: #9a6700; }
.handoff { border: 1px solid var(--line); border-radius: 6px; padding: 4px 14px 10px;
  margin: 12px 0; page-break-inside: avoid; break-inside: avoid; }
.packet dd { white-space: pre-wrap; }
.muted { color: var(--muted); }
@page { size: A4; margin: 16mm 14mm; }
@media print {
  body { max-width: none; padding: 0; font-size: 11px; }
  h2 { break-after: avoid; } tr { break-inside: avoid; }
  .first-page { break-after: page; }
}
"""


def _e(value: object) -> str:
    return escape("—" if value is None else str(value), quote=True)


def _when(at: datetime | None) -> str:
    return _e(at.strftime("%Y-%m-%d %H:%M UTC") if at else None)


def _who(p: Person | None) -> str:
    if p is None:
        return "—"
    if p.name == p.id:
        return f"<code>{_e(p.id)}</code>"
    return f'{_e(p.name)} <span class="muted">({_e(p.id)})</span>'


def _table(head: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    """Cells are already-escaped HTML fragments."""
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in r) + "</tr>" for r in rows)
    if not body:
        return '<p class="muted">None.</p>'
    heads = "".join(f"<th>{_e(h)}</th>" for h in head)
    return f"<table><thead><tr>{heads}</tr></thead><tbody>{body}</tbody></table>"


def render_html(d: Dossier) -> str:
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Evidence dossier — {_e(d.key)}</title><style>{CSS}</style></head><body>",
        '<section class="first-page">',
        _summary(d),
        _decisions_summary(d),
        "</section>",
        _stage_history(d),
        "<h2>Hand-offs</h2>",
        *[_handoff(h) for h in d.handoffs],
        _lineage(d),
        _monitors(d.monitors),
        _trail(d),
        "</body></html>",
    ]
    if not d.handoffs:
        parts.insert(parts.index("<h2>Hand-offs</h2>") + 1, '<p class="muted">None.</p>')
    return "\n".join(parts) + "\n"


def _summary(d: Dossier) -> str:
    c = d.chain
    verdict = (
        f"<strong>Audit chain verified</strong>: {c.events:,} events in this workspace link"
        " unbroken from the first to the head."
        if c.ok
        else f"<strong>Audit chain FAILED</strong>: {_e(c.problem)}"
    )
    return (
        f"<h1>Evidence dossier: {_e(d.name)}</h1>"
        f'<p class="sub">Project <code>{_e(d.key)}</code> · workspace <code>{_e(d.team_id)}</code>'
        f" · generated {_when(d.generated_at)} by Baton</p>"
        '<dl class="facts">'
        f"<dt>Current stage</dt><dd>{_e(d.stage)}</dd>"
        f"<dt>Created</dt><dd>{_when(d.created_at)} by {_who(d.created_by)}</dd>"
        f"<dt>Overseer</dt><dd>{_who(d.overseer) if d.overseer else 'none named'}</dd>"
        f"<dt>Archived</dt><dd>{_when(d.archived_at)}</dd>"
        f"<dt>Home channel</dt><dd><code>{_e(d.channel_id)}</code></dd>"
        f"<dt>Hand-offs</dt><dd>{len(d.handoffs)}</dd>"
        f"<dt>Model versions</dt><dd>{len(d.lineage)}</dd></dl>"
        f'<div class="chain{"" if c.ok else " bad"}">{verdict}<br>'
        f'Head <span class="hash">{_e(c.head_hash)}</span> at {_when(c.head_at)}.'
        ' <span class="muted">Compare it with an anchor kept outside Baton'
        " (<code>baton audit anchor</code>).</span></div>" + _roles(d)
    )


def _roles(d: Dossier) -> str:
    rows = [
        [_e(r.role), _who(r.lead), ", ".join(_who(m) for m in r.members) or "—"] for r in d.roles
    ]
    return "<h2>People and roles</h2>" + _table(["Role", "Lead", "Members"], rows)


def _decisions_summary(d: Dossier) -> str:
    rows = [
        [
            f"#{h.id} {_e(h.transition)}",
            str(x.round),
            _e(x.role),
            _who(x.person),
            f'<span class="{_e(x.decision)}">{_e(x.decision.replace("_", " "))}</span>',
            _when(x.at),
        ]
        for h in d.handoffs
        for x in h.decisions
    ]
    head = ["Hand-off", "Round", "Role", "Person", "Decision", "When"]
    return "<h2>Who decided what</h2>" + _table(head, rows)


def _stage_history(d: Dossier) -> str:
    rows = [[_when(s.at), _e(s.previous), _e(s.stage), _e(s.how)] for s in d.stage_history]
    return "<h2>Stage history</h2>" + _table(["When", "From", "To", "How"], rows)


def _handoff(h: HandoffRecord) -> str:
    r = h.rules
    source = "its own snapshot" if r.from_snapshot else "today's policy (opened before snapshots)"
    fields = ", ".join(_e(f.get("label", f.get("key"))) for f in r.fields) or "—"
    extra = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in r.other.items())
    packet = "".join(f"<dt>{_e(e.label)}</dt><dd>{_e(e.as_read())}</dd>" for e in h.packet)
    decisions = _table(
        ["Round", "Role", "Person", "Decision", "When", "Reason"],
        [
            [
                str(x.round),
                _e(x.role) + (" <em>(as admin)</em>" if x.as_admin else ""),
                _who(x.person) + _for(x),
                f'<span class="{_e(x.decision)}">{_e(x.decision.replace("_", " "))}</span>',
                _when(x.at),
                _e(x.reason),
            ]
            for x in h.decisions
        ],
    )
    refusals = _table(
        ["When", "Refused"],
        [[_when(e.at), f'<span class="refused">{_e(e.sentence)}</span>'] for e in h.refusals],
    )
    reminders = _table(
        ["When", "Kind", "To", "Round"],
        [[_when(x.at), _e(x.kind), _e(x.role), str(x.round)] for x in h.reminders],
    )
    retrain = " · retrain" if h.retrain else ""
    return (
        f'<div class="handoff"><h3>#{h.id} {_e(h.transition)} — {_e(h.status.replace("_", " "))}'
        f" (round {h.round}){retrain}</h3>"
        f'<p class="muted">Requested by {_who(h.requested_by)} on {_when(h.requested_at)}'
        f" via {_e(h.source)}; due {_when(h.due_at)}; closed {_when(h.closed_at)}"
        f" by {_who(h.closed_by)}.</p>"
        f'<dl class="facts packet">{packet}</dl>'
        f"<h4>Rules in force</h4><p>Judged by {source}, policy version"
        f' <span class="hash">{_e(r.policy_version)}</span>.</p>'
        '<dl class="facts">'
        f"<dt>Sign-off by</dt><dd>{_e(', '.join(r.signoff))}</dd>"
        f"<dt>Also, if assigned</dt><dd>{_e(', '.join(r.signoff_if_assigned) or None)}</dd>"
        f"<dt>Receivers</dt><dd>{_e(', '.join(r.receivers))}</dd>"
        f"<dt>Packet fields</dt><dd>{fields}</dd>"
        f"<dt>SLA</dt><dd>{_e(f'{r.sla_hours:g} h' if r.sla_hours else None)}</dd>{extra}</dl>"
        f"<h4>Decisions</h4>{decisions}<h4>Refusals</h4>{refusals}"
        f"<h4>Reminders and escalations</h4>{reminders}</div>"
    )


def _lineage(d: Dossier) -> str:
    rows = [
        [
            f"{_e(m.model_name)} <strong>{_e(m.version)}</strong>",
            _e(m.training_data),
            _e(m.data_source),
            f"<code>{_e(m.run_id)}</code>",
            f"#{m.handoff_id}" if m.handoff_id else _e(m.origin),
            ", ".join(_who(p) for p in m.approvers) or "—",
        ]
        for m in d.lineage
    ]
    head = ["Model version", "Training data", "Source", "Run", "Hand-off", "Approved by"]
    return "<h2>Lineage</h2>" + _table(head, rows)


def _monitors(monitors: list[MonitorRecord]) -> str:
    rows = []
    for m in monitors:
        rule = f"{_e(m.metric)} {_e(m.direction)} {m.threshold:g}"
        if not m.alerts:
            rows.append([rule, "no alert", "—", "—", "—"])
        for a in m.alerts:
            ack = (
                f"{_who(a.acknowledged_by)} at {_when(a.acknowledged_at)}"
                if a.acknowledged_by
                else "—"
            )
            rows.append(
                [
                    rule,
                    f"#{a.id} {_e(a.status)}: {a.value:g}",
                    _when(a.opened_at),
                    ack,
                    _when(a.resolved_at),
                ]
            )
    head = ["Monitor", "Alert", "Opened", "Acknowledged", "Resolved"]
    return "<h2>Monitors and alerts</h2>" + _table(head, rows)


def _trail(d: Dossier) -> str:
    rows = [
        [
            str(e.id),
            _when(e.at),
            _e(e.sentence),
            f'<span class="hash">{_e((e.hash or "none")[:12])}</span>',
        ]
        for e in d.events
    ]
    return "<h2>Audit trail</h2>" + _table(["#", "When", "What happened", "Hash"], rows)


STOOD_IN = {"requester": "who requested it", "away": "away"}


def _for(x: DecisionLine) -> str:
    """ "for Lena (away)": a stand-in's decision names the lead it was signed for."""
    if x.on_behalf_of is None:
        return ""
    why = STOOD_IN.get(x.standing_in or "", x.standing_in or "")
    return f" for {_who(x.on_behalf_of)} ({_e(why)})"
