"""The digest: projects by stage, open and overdue hand-offs, approvals, lead times.

Built from five aggregate queries whatever the number of projects: columns are selected
explicitly (never ORM rows, whose `signoffs` relationship would load in batches per 500
hand-offs) and run on the session's connection (Core rows, no ORM result processing), and
every table is joined to one scope. A digest for 10,000 projects costs the same number of
round trips as one for a single project. Lines are made with `View.trusted`: the database
typed their values already.

Roster gaps (the required roles of each project's next hand-off that nobody leads, as on the
status card) come from the same two reads as the rest: the projects in scope and their leads.

Scope: a channel's projects (those whose home channel it is), one project by key, or the
whole workspace; both filters compose when both are given. Archived projects never count,
not even in lead times: the digest describes the work that is still live.
"""

from __future__ import annotations

import gc
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Executable, Result, Row, String, and_, select, type_coerce
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
from models.schemas.projects import RosterGap
from models.services import status_card
from models.services.common import get_project
from models.services.digest_approvals import LIFECYCLE, approvals, lead_times_in, transition
from models.services.digest_monitors import monitor_lines

# Lines kept of each part (open hand-offs, overdue sign-offs, approvals, roster gaps, each
# stage's projects), with the part's total when there are more: more than any part of the
# message can show (the most, a stage's projects, is some 140 short names in 1,400 characters),
# so the message reads the same, and a digest of 10,000 projects is not 10,000 lines of each
# made, stored in its outbox row (7.5 MB of JSON) and read back to show a few dozen.
LINES_KEPT = 200

_T = TypeVar("_T")
_L = TypeVar("_L")


@dataclass(frozen=True)
class _Scope:
    team_id: str
    channel_id: str | None = None
    project_id: int | None = None
    project_key: str | None = None  # the key project_id was found by

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
    return _Scope(team_id, channel_id, project_id, key)


def build_digest(
    s: Session,
    team_id: str,
    now: datetime,
    *,
    policy: Policy,
    channel_id: str | None = None,
    project_key: str | None = None,
    since: datetime | None = None,
) -> DigestView:
    """The digest as of `now`; `since` (the last digest) bounds what counts as approved anew;
    `policy` says which roles each project's next hand-off requires (its roster gaps)."""
    with _collector_paused():
        return _build(s, _scope(s, team_id, channel_id, project_key), now, policy, since)


def _build(
    s: Session, scope: _Scope, now: datetime, policy: Policy, since: datetime | None
) -> DigestView:
    live = _projects(s, scope)
    opened = _open_rows(s, scope)
    decided = _decided_roles(s, scope)
    leads = _leads(s, scope)
    waiting = {row.id: _waiting_on(row, decided, leads) for row in opened}
    lead, approved = approvals(s, scope, now, since)
    totals: dict[str, int] = {}
    return DigestView(
        team_id=scope.team_id,
        channel_id=scope.channel_id,
        project_key=scope.project_key,
        generated_at=now,
        since=since,
        projects_by_stage=_projects_by_stage(live, totals),
        open_handoffs=_kept(
            totals, "open_handoffs", opened, lambda row: _open_line(row, waiting[row.id], now)
        ),
        overdue_signoffs=_overdue(opened, waiting, now, totals),
        lead_times=lead,
        approved_since=_kept(totals, "approved_since", approved, lambda line: line()),
        monitors=monitor_lines(s, scope, since),
        roster_gaps=_roster_gaps(live, leads, policy, totals),
        totals=totals,
    )


def _kept(
    totals: dict[str, int], part: str, rows: Sequence[_T], make: Callable[[_T], _L]
) -> list[_L]:
    """A part's first LINES_KEPT lines, made only for those; its total noted when cut."""
    if len(rows) > LINES_KEPT:
        totals[part] = len(rows)
    return [make(row) for row in rows[:LINES_KEPT]]


def lead_times(
    s: Session, team_id: str, now: datetime, project_key: str | None = None
) -> list[LeadTime]:
    """Request-to-approval hours per transition over the last 90 days (one query)."""
    return lead_times_in(s, _scope(s, team_id, None, project_key), now)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off while a digest is built: 10,000 projects make some
    200,000 rows and lines that all stay alive until it returns, so the collector's passes over
    them free nothing and cost a quarter of the build (measured: 1.1 s against 0.8 s of CPU on
    SQLite). Nothing is lost: cycles made meanwhile are collected on its next pass. Left alone
    when something else turned it off."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


# -- queries -----------------------------------------------------------------------------------

_ROLES = {role.value: role for role in Role}
_STAGES = {stage.value: stage for stage in Stage}
_STATUSES = {status.value: status for status in HandoffStatus}


def _rows(s: Session, statement: Executable) -> Result[Any]:
    """Core rows on the session's connection and transaction: no ORM result processing."""
    return s.connection().execute(statement)


def _projects(s: Session, scope: _Scope) -> Sequence[Row[Any]]:
    """The live projects in scope, by key: id, key, name and stage."""
    return _rows(
        s,
        select(Project.id, Project.key, Project.name, type_coerce(Project.stage, String))
        .where(*scope.projects())
        .order_by(Project.key),
    ).all()


def _projects_by_stage(
    live: Sequence[Row[Any]], totals: dict[str, int]
) -> dict[str, list[ProjectLine]]:
    by_stage: dict[Stage, list[Row[Any]]] = defaultdict(list)
    for row in live:
        by_stage[_STAGES[row[3]]].append(row)
    return {
        stage.value: _kept(
            totals,
            f"projects_by_stage.{stage.value}",
            by_stage[stage],
            lambda row: ProjectLine.trusted(key=row[1], name=row[2]),
        )
        for stage in LIFECYCLE
        if by_stage[stage]
    }


def _open_rows(s: Session, scope: _Scope) -> Sequence[Row[Any]]:
    return _rows(
        s,
        select(
            Handoff.id,
            Handoff.project_id,
            Project.key,
            type_coerce(Handoff.from_stage, String).label("from_stage"),
            type_coerce(Handoff.to_stage, String).label("to_stage"),
            type_coerce(Handoff.status, String).label("status"),
            Handoff.required_roles,
            Handoff.requested_by,
            Handoff.requested_at,
            Handoff.due_at,
        )
        .join(Project, Project.id == Handoff.project_id)
        .where(*scope.open_handoffs())
        .order_by(Handoff.requested_at, Handoff.id),
    ).all()


def _decided_roles(s: Session, scope: _Scope) -> dict[int, set[str]]:
    """Roles already decided in the current round of every open hand-off in scope."""
    rows = _rows(
        s,
        select(SignOff.handoff_id, type_coerce(SignOff.role, String))
        .join(Handoff, and_(Handoff.id == SignOff.handoff_id, Handoff.round == SignOff.round))
        .join(Project, Project.id == Handoff.project_id)
        .where(SignOff.team_id == scope.team_id, *scope.open_handoffs()),
    )
    decided: dict[int, set[str]] = defaultdict(set)
    for handoff_id, role in rows:
        decided[handoff_id].add(role)
    return decided


def _leads(s: Session, scope: _Scope) -> dict[tuple[int, str], str]:
    """Active leads of the projects in scope, by (project id, role value): whom an open
    hand-off waits on, and which required roles nobody leads."""
    rows = _rows(
        s,
        select(
            RoleAssignment.project_id,
            type_coerce(RoleAssignment.role, String),
            RoleAssignment.user_id,
        )
        .join(Project, Project.id == RoleAssignment.project_id)
        .where(
            *scope.projects(),
            RoleAssignment.team_id == scope.team_id,
            RoleAssignment.is_lead.is_(True),
            RoleAssignment.removed_at.is_(None),
        ),
    )
    return {(pid, role): user for pid, role, user in rows}


# -- assembling lines in Python ----------------------------------------------------------------


def _hours(delta: timedelta) -> float:
    return round(delta.total_seconds() / 3600, 2)


def _waiting_on(
    row: Row[Any], decided: dict[int, set[str]], leads: dict[tuple[int, str], str]
) -> list[WaitingOn]:
    if row.status != HandoffStatus.PENDING.value:
        return []  # changes requested: it waits on the requester, not on a sign-off
    done = decided.get(row.id, ())
    undecided = [_ROLES[r] for r in row.required_roles if r not in done]
    return [
        WaitingOn.trusted(role=r, label=r.label, lead=leads.get((row.project_id, r.value)))
        for r in undecided
    ]


def _open_line(row: Row[Any], waiting: list[WaitingOn], now: datetime) -> OpenHandoffLine:
    status = _STATUSES[row.status]
    return OpenHandoffLine.trusted(
        project_key=row.key,
        transition=transition(_STAGES[row.from_stage], _STAGES[row.to_stage]),
        status=status,
        requested_by=row.requested_by,
        requested_at=row.requested_at,
        age_hours=_hours(now - row.requested_at),
        waiting_on=waiting,
        overdue=status == HandoffStatus.PENDING and now > row.due_at,
        due_at=row.due_at,
    )


def _overdue(
    opened: Sequence[Row[Any]],
    waiting: dict[int, list[WaitingOn]],
    now: datetime,
    totals: dict[str, int],
) -> list[OverdueLine]:
    """One line per undecided role of each pending hand-off past due, the latest first."""
    pending = HandoffStatus.PENDING.value
    late = [
        (_hours(now - row.due_at), row, w)
        for row in opened
        if row.status == pending and now > row.due_at
        for w in waiting[row.id]
    ]
    late.sort(key=lambda item: -item[0])  # stable: ties keep the order they were opened in

    def line(item: tuple[float, Row[Any], WaitingOn]) -> OverdueLine:
        hours, row, w = item
        return OverdueLine.trusted(
            project_key=row.key,
            transition=transition(_STAGES[row.from_stage], _STAGES[row.to_stage]),
            role=w.role,
            label=w.label,
            lead=w.lead,
            hours_overdue=hours,
        )

    return _kept(totals, "overdue_signoffs", late, line)


def _roster_gaps(
    live: Sequence[Row[Any]],
    leads: dict[tuple[int, str], str],
    policy: Policy,
    totals: dict[str, int],
) -> list[RosterGap]:
    """Each project whose next hand-off (the policy's first transition out of its stage, as
    roster_health.gap_of reads it) requires a role nobody leads, by key."""
    gaps = []
    for pid, key, name, stage_value in live:
        stage = _STAGES[stage_value]
        if (step := policy.transition(stage)) is None:
            continue
        vacant = [r for r in step.signoff if (pid, r.value) not in leads]
        if vacant:
            gaps.append((key, name, step.to_stage, vacant))
    return _kept(
        totals,
        "roster_gaps",
        gaps,
        lambda gap: RosterGap.trusted(
            project_key=gap[0], project_name=gap[1], to_stage=gap[2], vacant=gap[3], departed=[]
        ),
    )


def project_status(s: Session, team_id: str, key: str, policy: Policy, now: datetime) -> StatusView:
    """The card `/mlops status` shows: stage, owners, open hand-off, monitors, lead times
    (read as rows by models/services/status_card.py, five statements at most)."""
    return status_card.status_of(s, team_id, key, policy, now)
