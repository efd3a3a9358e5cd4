"""Sign-off reminders: a lead whose sign-off is past the SLA gets one direct reminder; past
twice the SLA the project channel gets one escalation naming the ML architect lead.

"Once" is kept by the database: a reminders_sent row per (hand-off, round, role, kind) is
inserted with ON CONFLICT DO NOTHING, and only the run whose insert lands queues the message.
So repeated ticks, restarts and racing replicas send each reminder exactly once.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from jobs.context import JobContext
from models.enums import HandoffStatus, Role, Stage
from models.handoff import Handoff
from models.policy import Policy
from models.project import Project
from models.schedule import ReminderSent
from models.schemas.base import Actor
from models.services import audit, outbox
from models.services.common import leads_by_project
from models.services.policy_history import rules_in_force

REMINDER, ESCALATION = "reminder", "escalation"
BATON = "baton"  # the actor of audit events that no person caused

Leads = dict[tuple[int, Role], str]
SentKey = tuple[int, int, Role, str]


@dataclass(frozen=True)
class _Owed:
    """One message owed for one undecided role of one overdue hand-off."""

    handoff: Handoff
    project: Project
    role: Role
    kind: str
    lead: str | None
    architect: str | None
    hours_overdue: int


def run(ctx: JobContext, now: datetime) -> int:
    """Queue every reminder and escalation owed at `now`; returns how many were queued."""
    with ctx.session() as s:
        rows = _overdue(s, now)
        leads = _leads(s, rows)
        sent = _already_sent(s, [h.id for h, _ in rows])
        owed = [
            o for h, p in rows for o in _owed(h, p, leads, ctx.policy, now) if _key(o) not in sent
        ]
        return sum(_send_once(s, o, now) for o in owed)


def _overdue(s: Session, now: datetime) -> list[tuple[Handoff, Project]]:
    """Pending hand-offs past their due time, in every workspace (sign-offs load in one go)."""
    rows = s.execute(
        select(Handoff, Project)
        .join(Project, Project.id == Handoff.project_id)
        .where(
            Handoff.status == HandoffStatus.PENDING,
            Handoff.due_at < now,
            Project.stage != Stage.ARCHIVED,
        )
        .order_by(Handoff.due_at, Handoff.id)
    )
    return [(h, p) for h, p in rows]


def _leads(s: Session, rows: list[tuple[Handoff, Project]]) -> Leads:
    """Current leads of every project involved: one query per workspace, not per hand-off."""
    by_team: dict[str, set[int]] = defaultdict(set)
    for _, project in rows:
        by_team[project.team_id].add(project.id)
    leads: Leads = {}
    for team, project_ids in by_team.items():
        leads.update(leads_by_project(s, team, project_ids))
    return leads


def _already_sent(s: Session, handoff_ids: list[int]) -> set[SentKey]:
    """What earlier runs sent, so a tick does not re-try inserts that can only conflict."""
    if not handoff_ids:
        return set()
    rows = s.execute(
        select(
            ReminderSent.handoff_id, ReminderSent.round, ReminderSent.role, ReminderSent.kind
        ).where(ReminderSent.handoff_id.in_(handoff_ids))
    )
    return {(h, r, role, kind) for h, r, role, kind in rows}


def _owed(h: Handoff, p: Project, leads: Leads, policy: Policy, now: datetime) -> list[_Owed]:
    kinds = [REMINDER]
    if now >= _escalation_due(h, policy):
        kinds.append(ESCALATION)
    architect = leads.get((p.id, Role.ML_ARCHITECT))
    hours = int((now - h.due_at).total_seconds() // 3600)
    owed = []
    for role in h.pending_roles():
        lead = leads.get((p.id, role))
        for kind in kinds:
            if kind == REMINDER and lead is None:
                continue  # nobody to remind; the escalation still names the gap
            owed.append(_Owed(h, p, role, kind, lead, architect, hours))
    return owed


def _escalation_due(h: Handoff, policy: Policy) -> datetime:
    """Twice the SLA after the round began: due_at plus the SLA once more.

    In round 1 the SLA is due_at - requested_at. A resubmission restarts due_at but keeps
    requested_at, so later rounds take the SLA from the policy (what resubmit used)."""
    sla = h.due_at - h.requested_at
    if h.round > 1:
        transition = rules_in_force(h, policy)  # the SLA the hand-off was opened under
        if transition is not None:
            sla = timedelta(hours=transition.sla_hours)
    return h.due_at + sla


def _key(o: _Owed) -> SentKey:
    return (o.handoff.id, o.handoff.round, o.role, o.kind)


def _send_once(s: Session, o: _Owed, now: datetime) -> int:
    """Only the run whose reminders_sent insert lands queues the message and audits it."""
    if not _record_sent(s, o, now):
        return 0
    if o.kind == REMINDER:
        _remind(s, o)
    else:
        _escalate(s, o)
    return 1


def _record_sent(s: Session, o: _Owed, now: datetime) -> bool:
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = s.execute(
        insert(ReminderSent)
        .values(
            team_id=o.handoff.team_id,
            handoff_id=o.handoff.id,
            round=o.handoff.round,
            role=o.role,
            kind=o.kind,
            sent_at=now,
        )
        .on_conflict_do_nothing(index_elements=["handoff_id", "round", "role", "kind"])
        .returning(ReminderSent.id)
    )
    # RETURNING, not rowcount: psycopg reports -1 for a conflicting insert.
    return result.scalar_one_or_none() is not None


def _remind(s: Session, o: _Owed) -> None:
    assert o.lead is not None
    h, p = o.handoff, o.project
    outbox.to_user(
        s,
        h.team_id,
        "signoff.reminder",
        o.lead,
        project_id=p.id,
        handoff_id=h.id,
        role=o.role.value,
        hours_overdue=o.hours_overdue,
    )
    _audit(s, o, "signoff.reminded", lead=o.lead, hours_overdue=o.hours_overdue)


def _escalate(s: Session, o: _Owed) -> None:
    h, p = o.handoff, o.project
    outbox.to_channel(
        s,
        h.team_id,
        "signoff.escalation",
        p.channel_id,
        project_id=p.id,
        handoff_id=h.id,
        role=o.role.value,
        approver=o.lead,
        architect=o.architect,
    )
    _audit(s, o, "signoff.escalated", approver=o.lead, architect=o.architect)


def _audit(s: Session, o: _Owed, action: str, **detail: Any) -> None:
    h = o.handoff
    audit.record(
        s,
        Actor(h.team_id, BATON),
        action,
        o.project,
        handoff_id=h.id,
        round=h.round,
        role=o.role,
        **detail,
    )
