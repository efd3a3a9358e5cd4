"""Roster health: the required roles of a project's next hand-off that nobody leads, and leads
who left the workspace; the weekly check that tells each project's managers about them.

"Next hand-off" is the policy's first transition out of the project's stage (what `handoff
<key>` opens by default). Only `signoff` roles count: `signoff_if_assigned` roles are optional.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import Role, Stage
from models.notifications import RosterCheck
from models.policy import Policy, Transition
from models.project import Project
from models.roster import RoleAssignment
from models.schemas.base import Actor
from models.schemas.projects import DepartedLead, RosterGap
from models.services import audit, outbox
from models.services.common import leads_by_project, leads_of

Person = tuple[str, str]  # (team_id, user_id)


def gap_of(
    s: Session,
    project: Project,
    policy: Policy,
    departed: set[Person] | None = None,
    leads: dict[Role, str] | None = None,
) -> RosterGap | None:
    """None when the project has no next hand-off (archived, or a stage the policy ends).
    `leads`: the project's leads when the caller read them for many projects at once."""
    transition = _next_transition(project.stage, policy)
    if transition is None:
        return None
    leads = leads if leads is not None else leads_of(s, project)
    gone = departed or set()
    return RosterGap(
        project_key=project.key,
        project_name=project.name,
        to_stage=transition.to_stage,
        vacant=_vacant(transition, leads),
        departed=[
            DepartedLead(role=role, user=user)
            for role, user in leads.items()
            if (project.team_id, user) in gone
        ],
    )


def gap_from(
    stage: Stage, key: str, name: str, leads: Mapping[Role, str], policy: Policy
) -> RosterGap | None:
    """The gap of a project already read with its leads (the status card), nobody departed:
    who left the workspace is known only to the weekly check, which asks Slack."""
    transition = _next_transition(stage, policy)
    if transition is None:
        return None
    return RosterGap.trusted(
        project_key=key,
        project_name=name,
        to_stage=transition.to_stage,
        vacant=_vacant(transition, leads),
        departed=[],
    )


def _next_transition(stage: Stage, policy: Policy) -> Transition | None:
    return policy.transition(stage) if stage != Stage.ARCHIVED else None


def _vacant(transition: Transition, leads: Mapping[Role, str]) -> list[Role]:
    return [r for r in transition.signoff if r not in leads]


def gaps_by_key(
    s: Session, team_id: str, keys: Iterable[str], policy: Policy
) -> dict[str, RosterGap]:
    """The gaps of these projects (App Home lists a person's projects), the healthy left out."""
    wanted = set(keys)
    if not wanted:
        return {}
    found = list(
        s.scalars(select(Project).where(Project.team_id == team_id, Project.key.in_(wanted)))
    )
    leads = _leads_of_each(s, team_id, found)  # one query, not one per project (App Home)
    gaps = {p.key: gap_of(s, p, policy, leads=leads[p.id]) for p in found}
    return {key: gap for key, gap in gaps.items() if gap is not None and gap.any}


def _leads_of_each(s: Session, team_id: str, projects: list[Project]) -> dict[int, dict[Role, str]]:
    by_project: dict[int, dict[Role, str]] = {p.id: {} for p in projects}
    for (project_id, role), user in leads_by_project(s, team_id, set(by_project)).items():
        by_project[project_id][role] = user
    return by_project


def leads_everywhere(s: Session) -> list[Person]:
    """Every current lead of a live project, once: whom the weekly check asks Slack about."""
    rows = s.execute(
        select(RoleAssignment.team_id, RoleAssignment.user_id)
        .join(Project, Project.id == RoleAssignment.project_id)
        .where(
            RoleAssignment.is_lead.is_(True),
            RoleAssignment.removed_at.is_(None),
            Project.stage != Stage.ARCHIVED,
        )
        .distinct()
    )
    return sorted((team, user) for team, user in rows)


def send_roster_check(s: Session, policy: Policy, now: datetime, departed: set[Person]) -> int:
    """DM each live project's creator and ML architect lead about its gaps; returns the DMs."""
    projects = s.scalars(
        select(Project).where(Project.stage != Stage.ARCHIVED).order_by(Project.id)
    )
    sent = 0
    for project in projects:
        gap = gap_of(s, project, policy, departed)
        if gap is None or not gap.any:
            continue
        for user in _managers(s, project, departed):
            outbox.to_user(s, project.team_id, user, RosterCheck(project_id=project.id, gap=gap))
            sent += 1
        audit.record(
            s,
            Actor.system(project.team_id),
            "roster.gaps_reported",
            project,
            stage=gap.to_stage,
            vacant=[r.label for r in gap.vacant] or ["none"],
            departed=[d.user for d in gap.departed] or ["none"],
        )
    return sent


def _managers(s: Session, project: Project, departed: set[Person]) -> list[str]:
    architect = leads_of(s, project).get(Role.ML_ARCHITECT)
    people = [project.created_by, *([architect] if architect else [])]
    return [u for u in dict.fromkeys(people) if (project.team_id, u) not in departed]
