"""Human oversight (EU AI Act, Article 14): a named person who may stop a project at any time.

Each project may have an overseer — a role lead or anyone else in the workspace — named by
the people who manage its roster. Whether or not they hold a role, the overseer may open a
monitor → develop hand-off (send the model back for retraining) and archive the project,
cancelling an open hand-off on the way ("stop"). What the overseer does with these powers
is audited as an oversight action (`oversight.*`) beside the usual event.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from models.enums import Stage
from models.policy import Policy
from models.project import Project
from models.schemas.base import Actor
from models.services import audit
from models.services.common import is_member, not_a_member

RETRAIN = (Stage.MONITOR, Stage.DEVELOP)


def is_overseer(project: Project, actor: Actor) -> bool:
    return project.overseer is not None and project.overseer == actor.user_id


def check_request(
    s: Session,
    project: Project,
    actor: Actor,
    to_stage: Stage | None,
    policy: Policy,
    doing: str = "request hand-offs",
) -> bool:
    """Members and admins may request hand-offs, the overseer a monitor → develop one.
    True when the overseer requests that one: an oversight action, audited as such."""
    transition = policy.transition(project.stage, to_stage)
    retrain = transition is not None and (transition.from_stage, transition.to_stage) == RETRAIN
    oversees = retrain and is_overseer(project, actor)
    if not (oversees or actor.is_admin or is_member(s, project, actor.user_id)):
        raise not_a_member(project, doing)
    return oversees


def record_stop(s: Session, actor: Actor, project: Project, cancelled: int | None) -> None:
    """The overseer archived the project (and cancelled `cancelled`, its open hand-off)."""
    audit.record(
        s,
        actor,
        "oversight.archived",
        project,
        stage=project.stage_before_archive,
        handoff_id=cancelled,
    )
