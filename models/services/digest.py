"""The digest: projects by stage, open and overdue hand-offs, approvals, lead times.

Built from five aggregate queries whatever the number of projects: columns are selected
explicitly (never ORM rows, whose `signoffs` relationship would load in batches per 500
hand-offs) and every table is joined to one scope. A digest for 10,000 projects costs the
same number of round trips as one for a single project.

Scope: a channel's projects (those whose home channel it is), one project by key, or the
whole workspace; both filters compose when both are given. Archived projects never count,
not even in lead times: the digest describes the work that is still live.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Row, and_, select
from sqlalchemy.orm import Session

from models.enums import OPEN_HANDOFF_STATUSES, HandoffStatus, Role, Stage
from models.handoff import Handoff, SignOff
from models.policy import Policy
from models.project import Project
from models.roster import RoleAssignment
from models.schemas.digest import (
    DigestView,
    LeadTime,
    OpenHandoffLine,
    OverdueLine,
    ProjectLine,
    StatusView,
    WaitingOn,
)
from models.services.common import get_project
from models.services.digest_approvals import LIFECYCLE, approvals, lead_times_in, transition
from models.services.digest_monitors import monitor_lines
from models.services.projects import card_of


@dataclass(frozen=True)
class _Scope:
    team_id: str
    channel_id: str | None = None
    project_id: int | None = None

    def projects(self) -> list[ColumnElement[bool]]:
        """Conditions on Project; every query joins to it, so all parts agree on the scope."""
        where = [Project.team_id == self.team_id, Project.stage != Stage.ARCHIVED]
        if self.channel_id is not None:
            where.append(Project.channel_id == self.channel_id)
        if self.project_id is not None:
            where.append(Project.id == self.project_id)
        return where

    def open_handoffs(self) -> list[ColumnElement[bool]]:
        return [
            *self.projects(),
            Handoff.team_id == self.team_id,
            Handoff.status.in_(OPEN_HANDOFF_STATUSES),
        ]


def _scope(s: Session, team_id: str, channel_id: str | None, key: str | None) -> _Scope:
    project_id = get_project(s, team_id, key).id if key is not None else None
    return _Scope(team_id, channel_id, project_id)


def build_digest(
    s: Session,
    team_id: str,
    now: datetime,
    *,
    channel_id: str | None = None,
    project_key: str | None = None,
    since: datetime | None = None,
) -> DigestView:
    """The digest as of `now`; `since` (the last digest) bounds what counts as approved anew."""
    scope = _scope(s, team_id, channel_id, project_key)
    opened = _open_rows(s, scope)
    decided = _decided_roles(s, scope)
    leads = _leads(s, scope)
    waiting = {row.id: _waiting_on(row, decided, leads) for row in opened}
    lead, approved = approvals(s, scope, now, since)
    return DigestView(
        team_id=team_id,
        channel_id=channel_id,
        project_key=project_key,
        generated_at=now,
        since=since,
        projects_by_stage=_projects_by_stage(s, scope),
        open_handoffs=[_open_line(row, waiting[row.id], now) for row in opened],
        overdue_signoffs=_overdue(opened, waiting, now),
        lead_times=lead,
        approved_since=approved,
        monitors=monitor_lines(s, scope, since),
    )


def lead_times(
    s: Session, team_id: str, now: datetime, project_key: str | None = None
) -> list[LeadTime]:
    """Request-to-approval hours per transition over the last 90 days (one query)."""
    return lead_times_in(s, _scope(s, team_id, None, project_key), now)


# -- queries -----------------------------------------------------------------------------------


def _projects_by_stage(s: Session, scope: _Scope) -> dict[str, list[ProjectLine]]:
    rows = s.execute(
        select(Project.key, Project.name, Project.stage)
        .where(*scope.projects())
        .order_by(Project.key)
    )
    by_stage: dict[Stage, list[ProjectLine]] = defaultdict(list)
    for key, name, stage in rows:
        by_stage[stage].append(ProjectLine(key=key, name=name))
    return {stage.value: by_stage[stage] for stage in LIFECYCLE if by_stage[stage]}


def _open_rows(s: Session, scope: _Scope) -> Sequence[Row[Any]]:
    return s.execute(
        select(
            Handoff.id,
            Handoff.project_id,
            Project.key,
            Handoff.from_stage,
            Handoff.to_stage,
            Handoff.status,
            Handoff.required_roles,
            Handoff.requested_by,
            Handoff.requested_at,
            Handoff.due_at,
        )
        .join(Project, Project.id == Handoff.project_id)
        .where(*scope.open_handoffs())
        .order_by(Handoff.requested_at, Handoff.id)
    ).all()


def _decided_roles(s: Session, scope: _Scope) -> dict[int, set[Role]]:
    """Roles already decided in the current round of every open hand-off in scope."""
    rows = s.execute(
        select(SignOff.handoff_id, SignOff.role)
        .join(Handoff, and_(Handoff.id == SignOff.handoff_id, Handoff.round == SignOff.round))
        .join(Project, Project.id == Handoff.project_id)
        .where(SignOff.team_id == scope.team_id, *scope.open_handoffs())
    )
    decided: dict[int, set[Role]] = defaultdict(set)
    for handoff_id, role in rows:
        decided[handoff_id].add(Role(role))
    return decided


def _leads(s: Session, scope: _Scope) -> dict[tuple[int, Role], str]:
    """Active leads of the projects with an open hand-off (the only ones the digest names)."""
    with_open = (
        select(Handoff.project_id)
        .join(Project, Project.id == Handoff.project_id)
        .where(*scope.open_handoffs())
    )
    rows = s.execute(
        select(RoleAssignment.project_id, RoleAssignment.role, RoleAssignment.user_id).where(
            RoleAssignment.team_id == scope.team_id,
            RoleAssignment.is_lead.is_(True),
            RoleAssignment.removed_at.is_(None),
            RoleAssignment.project_id.in_(with_open),
        )
    )
    return {(pid, Role(role)): user for pid, role, user in rows}


# -- assembling lines in Python ----------------------------------------------------------------


def _hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 2)


def _waiting_on(
    row: Row[Any], decided: dict[int, set[Role]], leads: dict[tuple[int, Role], str]
) -> list[WaitingOn]:
    if row.status != HandoffStatus.PENDING:
        return []  # changes requested: it waits on the requester, not on a sign-off
    undecided = [Role(r) for r in row.required_roles if Role(r) not in decided[row.id]]
    return [
        WaitingOn.model_construct(role=r, label=r.label, lead=leads.get((row.project_id, r)))
        for r in undecided
    ]


def _open_line(row: Row[Any], waiting: list[WaitingOn], now: datetime) -> OpenHandoffLine:
    return OpenHandoffLine.model_construct(
        project_key=row.key,
        transition=transition(row.from_stage, row.to_stage),
        status=row.status,
        requested_by=row.requested_by,
        requested_at=row.requested_at,
        age_hours=_hours(now - row.requested_at),
        waiting_on=waiting,
        overdue=row.status == HandoffStatus.PENDING and now > row.due_at,
        due_at=row.due_at,
    )


def _overdue(
    opened: Sequence[Row[Any]], waiting: dict[int, list[WaitingOn]], now: datetime
) -> list[OverdueLine]:
    """One line per undecided role of each pending hand-off past due, the latest first."""
    late = [row for row in opened if row.status == HandoffStatus.PENDING and now > row.due_at]
    lines = [
        OverdueLine.model_construct(
            project_key=row.key,
            transition=transition(row.from_stage, row.to_stage),
            role=w.role,
            label=w.label,
            lead=w.lead,
            hours_overdue=_hours(now - row.due_at),
        )
        for row in late
        for w in waiting[row.id]
    ]
    return sorted(lines, key=lambda line: -line.hours_overdue)


def project_status(s: Session, team_id: str, key: str, policy: Policy, now: datetime) -> StatusView:
    """The card `/mlops status` shows: stage, owners, open hand-off, monitors, lead times."""
    project = get_project(s, team_id, key)
    card = card_of(s, project, policy)
    scope = _Scope(team_id, None, project.id)  # the project read once, for card and scope
    return StatusView(
        card=card,
        monitors=monitor_lines(s, scope, None),
        lead_times=lead_times_in(s, scope, now),
    )
