"""Away and back: while someone is away, each sign-off they would owe goes to their delegate
(or, without one, to the project's ML architect lead); pending ones are re-routed when the
absence starts and handed back when it ends. Who signs is worked out in models/signers.py.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import HandoffStatus
from models.errors import DomainError
from models.handoff import Handoff
from models.notifications import HandoffUpdated, SignoffRequested
from models.people import Absence
from models.policy import Policy
from models.project import Project
from models.schemas.base import Actor
from models.schemas.people import AbsenceView
from models.services import audit, outbox
from models.services.common import leads_of
from models.services.policy_history import rules_in_force
from models.signers import signers

REASON_MAX = 300


def away_of(s: Session, team_id: str, now: datetime) -> dict[str, str | None]:
    """Who is away now in this workspace, and their delegate."""
    rows = s.scalars(
        select(Absence).where(
            Absence.team_id == team_id,
            Absence.ended_at.is_(None),
            Absence.until >= now.date(),
        )
    )
    return {a.user_id: a.delegate for a in rows}


def current_absence(s: Session, team_id: str, user_id: str, now: datetime) -> AbsenceView | None:
    """The person's absence running now, as App Home and its Away modal show it."""
    row = s.scalars(
        select(Absence)
        .where(
            Absence.team_id == team_id,
            Absence.user_id == user_id,
            Absence.ended_at.is_(None),
            Absence.until >= now.date(),
        )
        .order_by(Absence.id.desc())
    ).first()
    return (
        None
        if row is None
        else AbsenceView(until=row.until, delegate=row.delegate, reason=row.reason)
    )


def go_away(
    s: Session,
    actor: Actor,
    until: date,
    delegate: str | None,
    reason: str | None,
    now: datetime,
    policy: Policy,
) -> list[int]:
    """Start (or replace) the actor's absence; returns the hand-offs re-routed."""
    if until < now.date():
        raise DomainError(f"{until.isoformat()} has passed: say until when you will be away.")
    if delegate == actor.user_id:
        raise DomainError("Name someone else as your delegate, or nobody.")
    before = _chart(s, actor.team_id, now, policy)
    _end(s, actor, now)
    text = (reason or "").strip()[:REASON_MAX] or None
    s.add(
        Absence(
            team_id=actor.team_id,
            user_id=actor.user_id,
            until=until,
            delegate=delegate,
            reason=text,
            started_at=now,
        )
    )
    s.flush()
    audit.record(
        s,
        actor,
        "absence.started",
        None,
        until=until.isoformat(),
        user=delegate or "",
        reason=text,
    )
    outbox.refresh_home(s, actor.team_id, actor.user_id)  # App Home shows the absence
    return _reroute(s, actor.team_id, before, _chart(s, actor.team_id, now, policy))


def come_back(s: Session, actor: Actor, now: datetime, policy: Policy) -> list[int]:
    """End the actor's absence; their pending sign-offs come back to them."""
    before = _chart(s, actor.team_id, now, policy)
    if not _end(s, actor, now):
        raise DomainError("You are not away, so there is nothing to come back from.")
    s.flush()
    audit.record(s, actor, "absence.ended", None)
    outbox.refresh_home(s, actor.team_id, actor.user_id)
    return _reroute(s, actor.team_id, before, _chart(s, actor.team_id, now, policy))


def _end(s: Session, actor: Actor, now: datetime) -> bool:
    rows = list(
        s.scalars(
            select(Absence).where(
                Absence.team_id == actor.team_id,
                Absence.user_id == actor.user_id,
                Absence.ended_at.is_(None),
            )
        )
    )
    for row in rows:
        row.ended_at = now
    return bool(rows)


# hand-off id -> (project id, channel, the set of people who sign a pending role)
Chart = dict[int, tuple[int, str, set[str]]]


def _chart(s: Session, team_id: str, now: datetime, policy: Policy) -> Chart:
    """Who signs the pending roles of every pending hand-off of the workspace, right now."""
    away = away_of(s, team_id, now)
    chart: Chart = {}
    for h, p in _pending_handoffs(s, team_id):
        rules = rules_in_force(h, policy)
        lines = signers(h.required, leads_of(s, p), h.requested_by, rules, away)
        pending = set(h.pending_roles())
        chart[h.id] = (
            p.id,
            p.channel_id,
            {sg.user for sg in lines if sg.user and sg.role in pending},
        )
    return chart


def _reroute(s: Session, team_id: str, before: Chart, after: Chart) -> list[int]:
    """DM each new signer the card; every copy of a changed card shows its new signers."""
    moved = []
    for handoff_id, (project_id, channel, now_signing) in after.items():
        earlier = before.get(handoff_id, (project_id, channel, set()))[2]
        if now_signing == earlier:
            continue
        moved.append(handoff_id)
        ids = {"project_id": project_id, "handoff_id": handoff_id}
        for user in sorted(now_signing - earlier):
            outbox.to_user(s, team_id, user, SignoffRequested(**ids))
        outbox.to_channel(s, team_id, channel, HandoffUpdated(**ids))
        outbox.refresh_home(s, team_id, *sorted(now_signing ^ earlier))  # gained or lost it
        handoff = s.get(Handoff, handoff_id)
        if handoff is not None:
            handoff.version += 1
    return moved


def _pending_handoffs(s: Session, team_id: str) -> list[tuple[Handoff, Project]]:
    rows = s.execute(
        select(Handoff, Project)
        .join(Project, Project.id == Handoff.project_id)
        .where(Handoff.team_id == team_id, Handoff.status == HandoffStatus.PENDING)
    )
    return [(h, p) for h, p in rows]
