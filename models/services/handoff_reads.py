"""Read models for pipelines: a hand-off's state and version, a project with its roster, open
hand-off and monitors (GET /api/v1), and cancelling a hand-off by its id."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.columns import fits_row_id
from models.errors import DomainError, NotFound
from models.handoff import Handoff
from models.policy import Policy
from models.project import Project
from models.schemas.base import Actor
from models.schemas.projects import HandoffView, ProjectState
from models.services import handoffs, monitoring, projects
from models.services.handoff_queries import get_handoff, view_by_id


def handoff_state(s: Session, team_id: str, handoff_id: int, policy: Policy) -> HandoffView:
    return view_by_id(s, team_id, handoff_id, policy)


def handoff_version(s: Session, team_id: str, handoff_id: int) -> int:
    """One indexed read: what a long poll re-checks while it waits."""
    if not fits_row_id(handoff_id):
        raise NotFound("That hand-off does not exist in this workspace.")
    version = s.scalar(
        select(Handoff.version).where(Handoff.team_id == team_id, Handoff.id == handoff_id)
    )
    if version is None:
        raise NotFound("That hand-off does not exist in this workspace.")
    return version


def project_state(s: Session, team_id: str, key: str, policy: Policy) -> ProjectState:
    card = projects.project_card(s, team_id, key, policy)
    # A pipeline's token speaks for the workspace, not for a member: sources stay hidden.
    reader = Actor(team_id=team_id, user_id="")
    return ProjectState(card=card, monitors=monitoring.list_monitors(s, reader, key))


def cancel_by_id(s: Session, actor: Actor, handoff_id: int, policy: Policy) -> HandoffView:
    """The same rules as `handoff cancel KEY`, for a caller that knows only the id."""
    handoff = get_handoff(s, actor.team_id, handoff_id)
    project = s.get(Project, handoff.project_id)
    assert project is not None
    if not handoff.status.is_open:
        state = handoff.status.value.replace("_", " ")
        raise DomainError(f"This hand-off is already {state}; there is nothing to cancel.")
    return handoffs.cancel_handoff(s, actor, project.key, policy)
