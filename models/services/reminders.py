"""Sign-off reminders: a lead whose sign-off is past the SLA gets one direct reminder; past
twice the SLA the project channel gets one escalation naming the ML architect lead.

The rules live here; jobs/reminders.py runs them on the scheduler's tick.

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
from sqlalchemy.orm import Session

from models.enums import HandoffStatus, Role, Stage
from models.handoff import Handoff, SignoffSnooze
from models.inserts import insert_or_ignore
from models.notifications import SignoffEscalation, SignoffReminder, SnoozeNote
from models.policy import Policy
from models.project import Project
from models.schedule import ReminderSent
from models.schemas.base import Actor
from models.services import audit, outbox
from models.services.common import leads_by_project
from models.services.policy_history import rules_in_force
from models.services.snoozes import Reach, reach
from models.signers import signer_for
from models.working_hours import DEFAULT_WORKING_HOURS, WorkingHours

REMINDER, ESCALATION = "reminder", "escalation"
SNOOZE_ENDED = "snooze-"  # + the snooze's id: the reminder owed when it ran out
DEFAULT_HOURS = WorkingHours.parse(DEFAULT_WORKING_HOURS)

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
    snoozed: tuple[SignoffSnooze, ...] = ()  # what an escalation names: why it is late


def send_due(
    s: Session,
    policy: Policy,
    now: datetime,
    *,
    hours: WorkingHours = DEFAULT_HOURS,
    default_zone: str = "UTC",
) -> int:
    """Queue every reminder and escalation owed at `now` to people inside their working hours
    and not snoozed; returns how many were queued. What waits is owed again at later ticks."""
    rows = _overdue(s, now)
    leads = _leads(s, rows)
    sent = _already_sent(s, [h.id for h, _ in rows])
    who = reach(s, now, hours, default_zone, [h.id for h, _ in rows], _people(rows, leads))
    owed = [o for h, p in rows for o in _owed(h, p, leads, policy, who) if _key(o) not in sent]
    return sum(_send_once(s, o, now) for o in owed)


def recipients(s: Session, now: datetime) -> dict[str, set[str]]:
    """Who reminders may reach now, by workspace: their zones must be known first."""
    rows = _overdue(s, now)
    return _people(rows, _leads(s, rows))


def _people(rows: list[tuple[Handoff, Project]], leads: Leads) -> dict[str, set[str]]:
    team_of = {p.id: p.team_id for _, p in rows}
    found: dict[str, set[str]] = defaultdict(set)
    for (project_id, _role), user in leads.items():
        found[team_of[project_id]].add(user)
    return dict(found)


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


def _owed(h: Handoff, p: Project, leads: Leads, policy: Policy, who: Reach) -> list[_Owed]:
    escalating = who.now >= _escalation_due(h, policy)
    architect = leads.get((p.id, Role.ML_ARCHITECT))
    hours = int((who.now - h.due_at).total_seconds() // 3600)
    own = {role: user for (pid, role), user in leads.items() if pid == p.id}
    rules = rules_in_force(h, policy)
    owed = []
    for role in h.pending_roles():
        away = who.away.get(p.team_id, {})
        lead = signer_for(role, own, h.requested_by, rules, away, h.required).user  # or a stand-in
        for kind in _reminders_for(h, lead, p.team_id, who):
            owed.append(_Owed(h, p, role, kind, lead, architect, hours))
        if escalating and (architect is None or who.awake(p.team_id, architect)):
            snoozed = tuple(who.of(h.id, h.round))
            owed.append(_Owed(h, p, role, ESCALATION, lead, architect, hours, snoozed))
    return owed


def _reminders_for(h: Handoff, lead: str | None, team_id: str, who: Reach) -> list[str]:
    """The first reminder, then one more after each snooze ends; only while they work."""
    if lead is None or not who.awake(team_id, lead) or who.snoozed(h.id, h.round, lead):
        return []  # nobody to remind (the escalation names the gap), asleep, or snoozed
    return [REMINDER] + [f"{SNOOZE_ENDED}{z.id}" for z in who.ended(h.id, h.round, lead)]


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
    if o.kind == REMINDER or o.kind.startswith(SNOOZE_ENDED):
        _remind(s, o)
    else:
        _escalate(s, o)
    return 1


def _record_sent(s: Session, o: _Owed, now: datetime) -> bool:
    h = o.handoff
    values = {
        "team_id": h.team_id,
        "handoff_id": h.id,
        "round": h.round,
        "role": o.role,
        "kind": o.kind,
        "sent_at": now,
    }
    key = ["handoff_id", "round", "role", "kind"]
    landed = s.execute(insert_or_ignore(s, ReminderSent, values, key).returning(ReminderSent.id))
    return landed.scalar_one_or_none() is not None


def _remind(s: Session, o: _Owed) -> None:
    assert o.lead is not None
    h, p = o.handoff, o.project
    reminder = SignoffReminder(
        project_id=p.id, handoff_id=h.id, role=o.role, hours_overdue=o.hours_overdue
    )
    outbox.to_user(s, h.team_id, o.lead, reminder)
    _audit(s, o, "signoff.reminded", lead=o.lead, hours_overdue=o.hours_overdue)


def _escalate(s: Session, o: _Owed) -> None:
    h, p = o.handoff, o.project
    escalation = SignoffEscalation(
        project_id=p.id,
        handoff_id=h.id,
        role=o.role,
        approver=o.lead,
        architect=o.architect,
        snoozed=[SnoozeNote(user=z.user_id, until=z.until, reason=z.reason) for z in o.snoozed],
    )
    outbox.to_channel(s, h.team_id, p.channel_id, escalation)
    _audit(
        s,
        o,
        "signoff.escalated",
        approver=o.lead,
        architect=o.architect,
        snoozed_by=sorted({z.user_id for z in o.snoozed}),
    )


def _audit(s: Session, o: _Owed, action: str, **detail: Any) -> None:
    h = o.handoff
    audit.record(
        s,
        Actor.system(h.team_id),
        action,
        o.project,
        handoff_id=h.id,
        round=h.round,
        role=o.role,
        **detail,
    )
