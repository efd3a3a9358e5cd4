"""Building a project's evidence dossier: who approved what, under which rules, on which data,
and whether the audit chain still holds. Reads only; names come from the people cache."""

from __future__ import annotations

from datetime import datetime
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.audit import AuditEvent
from models.enums import Decision, Role, Stage
from models.handoff import Handoff
from models.monitor import Alert, Monitor
from models.policy import Policy
from models.project import Project
from models.schedule import ReminderSent
from models.schemas.dossier import (
    DecisionLine,
    Dossier,
    EventLine,
    HandoffRecord,
    PacketEntry,
    ReminderLine,
    RoleLine,
    StageStep,
)
from models.sentences import SYSTEM_ACTORS, people_named, sentence
from models.services import people, trail
from models.services.common import active_assignments, get_project
from models.services.dossier_parts import Book, chain, lineage, monitor, rules
from models.services.handoff_queries import packet_lines

Rows = TypeVar("Rows", Handoff, Monitor, Alert)


def build(s: Session, team_id: str, key: str, policy: Policy, now: datetime) -> Dossier:
    project = get_project(s, team_id, key)
    handoffs = _all_of(s, Handoff, project)
    events = trail.events(s, project)
    monitors, alerts = _all_of(s, Monitor, project), _all_of(s, Alert, project)
    assignments = active_assignments(s, project)
    ids = _people_in(project, handoffs, events, alerts, monitors, assignments, policy)
    book = Book(s, team_id, ids, {h.id: h.transition for h in handoffs})
    lines = [_event_line(e, book) for e in events]
    return Dossier(
        team_id=team_id,
        key=project.key,
        name=project.name,
        stage=project.stage.value,
        channel_id=project.channel_id,
        created_by=book.someone(project.created_by),
        created_at=project.created_at,
        archived_at=project.archived_at,
        generated_at=now,
        overseer=book.person(project.overseer),
        roles=_roles(assignments, book),
        stage_history=_stage_history(lines),
        handoffs=[_handoff(s, h, policy, lines, book) for h in handoffs],
        lineage=lineage(s, project, handoffs, book),
        monitors=[monitor(m, [a for a in alerts if a.monitor_id == m.id], book) for m in monitors],
        events=lines,
        chain=chain(s, team_id),
        unnamed=people.unknown(s, team_id, ids),
    )


def people_of(s: Session, team_id: str, key: str, policy: Policy) -> set[str]:
    """Everyone a dossier would name, so a caller can look names up in Slack first."""
    project = get_project(s, team_id, key)
    handoffs = list(s.scalars(select(Handoff).where(Handoff.project_id == project.id)))
    events = trail.events(s, project)
    alerts = list(s.scalars(select(Alert).where(Alert.project_id == project.id)))
    monitors = list(s.scalars(select(Monitor).where(Monitor.project_id == project.id)))
    assignments = active_assignments(s, project)
    return _people_in(project, handoffs, events, alerts, monitors, assignments, policy)


def _all_of(s: Session, table: type[Rows], project: Project) -> list[Rows]:
    """Every row of `table` that belongs to the project, in the order they were made."""
    return list(
        s.scalars(
            select(table)
            .where(table.team_id == project.team_id, table.project_id == project.id)
            .order_by(table.id)
        )
    )


def _people_in(project, handoffs, events, alerts, monitors, assignments, policy) -> set[str]:
    ids = {project.created_by, project.overseer or ""}
    for h in handoffs:
        ids |= {h.requested_by, h.closed_by or ""} | {so.user_id for so in h.signoffs}
        ids |= {line.value for line in packet_lines(h, policy) if line.type == "user"}
        ids |= {so.on_behalf_of for so in h.signoffs if so.on_behalf_of}
    for e in events:
        ids |= people_named(e.actor, e.detail)
    for a in alerts:
        ids |= {a.owner_user or "", a.acknowledged_by or ""}
    ids |= {m.created_by for m in monitors} | {a.user_id for a in assignments}
    return {i for i in ids if i and i not in SYSTEM_ACTORS}


def _event_line(e: AuditEvent, book: Book) -> EventLine:
    return EventLine(
        id=e.id,
        at=e.created_at,
        action=e.action,
        actor=book.someone(e.actor),
        sentence=sentence(e.action, e.actor, e.detail, e.project_key, book.names),
        detail=e.detail,
        hash=e.hash,
    )


def _roles(assignments, book: Book) -> list[RoleLine]:
    lines = []
    for role in Role:
        held = [a for a in assignments if a.role == role]
        lead = next((a.user_id for a in held if a.is_lead), None)
        members = [book.someone(a.user_id) for a in held if not a.is_lead]
        if held:
            lines.append(RoleLine(role=role.label, lead=book.person(lead), members=members))
    return lines


def _stage_history(lines: list[EventLine]) -> list[StageStep]:
    steps = []
    for e in lines:
        if e.action == "project.created":
            steps.append(
                StageStep(at=e.at, stage=Stage.MANAGE.value, previous=None, how=e.sentence)
            )
        elif e.action == "project.stage_changed":
            previous, stage = str(e.detail.get("stage_from")), str(e.detail.get("stage_to"))
            steps.append(StageStep(at=e.at, stage=stage, previous=previous, how=e.sentence))
        elif e.action == "project.archived":
            previous = str(e.detail.get("stage"))
            steps.append(StageStep(at=e.at, stage="archived", previous=previous, how=e.sentence))
    return steps


def _handoff(
    s: Session, h: Handoff, policy: Policy, lines: list[EventLine], book: Book
) -> HandoffRecord:
    reminders = s.scalars(
        select(ReminderSent).where(ReminderSent.handoff_id == h.id).order_by(ReminderSent.id)
    )
    refused = [e for e in lines if e.action.startswith("refused.") and _refers_to(e, h.id)]
    return HandoffRecord(
        id=h.id,
        transition=h.transition,
        status=h.status.value,
        round=h.round,
        source=h.source,
        retrain=(h.from_stage, h.to_stage) == (Stage.MONITOR, Stage.DEVELOP),
        requested_by=book.someone(h.requested_by),
        requested_at=h.requested_at,
        due_at=h.due_at,
        closed_by=book.person(h.closed_by),
        closed_at=h.closed_at,
        packet=[
            PacketEntry(
                label=line.label,
                value=line.value,
                name=book.names.person(line.value) if line.type == "user" else None,
            )
            for line in packet_lines(h, policy)
        ],
        rules=rules(h, policy),
        decisions=[
            DecisionLine(
                round=so.round,
                role=so.role.label,
                person=book.someone(so.user_id),
                decision=Decision(so.decision).value,
                reason=so.reason,
                at=so.decided_at,
                as_admin=so.as_admin,
                on_behalf_of=book.person(so.on_behalf_of),
                standing_in=so.standing_in,
            )
            for so in h.signoffs
        ],
        refusals=refused,
        reminders=[
            ReminderLine(round=r.round, role=r.role.label, kind=r.kind, at=r.sent_at)
            for r in reminders
        ],
    )


def _refers_to(e: EventLine, handoff_id: int) -> bool:
    value = e.detail.get("handoff", e.detail.get("handoff_id"))
    return str(value) == str(handoff_id)
