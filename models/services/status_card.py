"""The status card (`/mlops status`, App Home's Status button) read as rows, in at most five
statements: the project with its roster, its open hand-off with this round's sign-offs, who
is away (only when a hand-off is open), its monitors, and its lead times.

Every statement is composed once, at import (composing a select costs more CPU than running
it), and runs on the session's connection: Core rows, no ORM identity map or instance
loading on a read that is the most frequent request. The views are built with
`View.trusted`, the database having typed their values already.

The packet and the checklist are `handoff_queries.packet_of` and `handoff_queries.checklist`,
the ones every hand-off card makes, from rows; the tests compare the card with the ORM
services' (tests/models/test_status_card.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, bindparam, select
from sqlalchemy.orm import Session

from models.enums import OPEN_HANDOFF_STATUSES, Role, Stage
from models.handoff import Handoff, SignOff
from models.policy import Policy
from models.project import Project
from models.roster import RoleAssignment
from models.schemas.digest import StatusView
from models.schemas.projects import (
    HandoffView,
    ProjectCard,
    ProjectSummary,
)
from models.services.absences import away_on
from models.services.common import get_project
from models.services.digest_approvals import project_lead_times
from models.services.digest_monitors import project_monitor_lines
from models.services.handoff_queries import checklist, packet_of, view_of
from models.services.policy_history import rules_from
from models.services.roster import holders_of
from models.services.roster_health import gap_from

# The project and its active assignments, oldest first (as common.active_assignments): one
# row per assignment, or one with empty roster columns.
_PROJECT_AND_ROSTER = (
    select(
        Project.id,
        Project.key,
        Project.name,
        Project.stage,
        Project.channel_id,
        Project.created_by,
        Project.created_at,
        Project.archived_at,
        Project.overseer,
        RoleAssignment.role,
        RoleAssignment.user_id,
        RoleAssignment.is_lead,
    )
    .outerjoin(
        RoleAssignment,
        and_(
            RoleAssignment.project_id == Project.id,
            RoleAssignment.team_id == Project.team_id,
            RoleAssignment.removed_at.is_(None),
        ),
    )
    .where(Project.team_id == bindparam("team_id"), Project.key == bindparam("key"))
    .order_by(RoleAssignment.assigned_at, RoleAssignment.id)
)
# The open hand-off and its sign-offs of the current round: one row per sign-off, or one.
_OPEN_HANDOFF = (
    select(
        Handoff.id,
        Handoff.from_stage,
        Handoff.to_stage,
        Handoff.status,
        Handoff.round,
        Handoff.required_roles,
        Handoff.policy_snapshot,
        Handoff.packet,
        Handoff.requested_by,
        Handoff.requested_at,
        Handoff.due_at,
        Handoff.closed_at,
        Handoff.closed_by,
        Handoff.version,
        SignOff.role.label("signed_role"),
        SignOff.user_id,  # as Decided names it (handoff_queries.checklist)
        SignOff.decision,
        SignOff.reason,
        SignOff.decided_at,
        SignOff.standing_in,
        SignOff.on_behalf_of,
        SignOff.as_admin,
    )
    .outerjoin(SignOff, and_(SignOff.handoff_id == Handoff.id, SignOff.round == Handoff.round))
    .where(
        Handoff.team_id == bindparam("team_id"),
        Handoff.project_id == bindparam("project_id"),
        Handoff.status.in_(OPEN_HANDOFF_STATUSES),
    )
    .order_by(SignOff.id)
)


def status_of(s: Session, team_id: str, key: str, policy: Policy, now: datetime) -> StatusView:
    """The card `/mlops status` shows: stage, owners, open hand-off, monitors, lead times."""
    conn = s.connection()  # once: each Session.connection() walks the session's state
    rows = conn.execute(_PROJECT_AND_ROSTER, {"team_id": team_id, "key": key}).all()
    if not rows:
        get_project(s, team_id, key)  # raises NotFound, with the closest key as a hint
    first = rows[0]
    project_id, stage = first.id, first.stage
    roster = [row for row in rows if row.role is not None]
    leads = {row.role: row.user_id for row in roster if row.is_lead}
    handoff = _open_handoff(conn, team_id, project_id, first, leads, policy, now)
    live = stage != Stage.ARCHIVED  # an archived project's monitors and lead times are over
    card = ProjectCard.trusted(
        project=_summary(first),
        roles=holders_of(roster),
        open_handoff=handoff,
        next_stages=policy.targets_from(stage),
        gap=gap_from(stage, first.key, first.name, leads, policy),
    )
    return StatusView.trusted(
        card=card,
        monitors=project_monitor_lines(conn, team_id, project_id) if live else [],
        lead_times=project_lead_times(conn, team_id, project_id, now) if live else [],
    )


def _summary(row: Row[Any]) -> ProjectSummary:
    return ProjectSummary.trusted(
        key=row.key,
        name=row.name,
        stage=row.stage,
        channel_id=row.channel_id,
        created_by=row.created_by,
        created_at=row.created_at,
        archived_at=row.archived_at,
        overseer=row.overseer,
    )


def _open_handoff(
    conn: Connection,
    team_id: str,
    project_id: int,
    project: Row[Any],
    leads: dict[Role, str],
    policy: Policy,
    now: datetime,
) -> HandoffView | None:
    params = {"team_id": team_id, "project_id": project_id}
    rows = conn.execute(_OPEN_HANDOFF, params).all()
    if not rows:
        return None
    h = rows[0]
    decided = {row.signed_role: row for row in rows if row.signed_role is not None}
    rules = rules_from(h.policy_snapshot, h.from_stage, h.to_stage, policy)
    return view_of(
        h,
        team_id,
        project,
        packet_of(h.packet, rules),
        checklist(
            [Role(r) for r in h.required_roles],
            decided,
            leads,
            h.requested_by,
            rules,
            away_on(conn, team_id, now),
        ),
    )
