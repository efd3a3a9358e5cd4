"""MLflow's production alias follows sign-off, never precedes it.

A hand-off opened by the request alias (models/services/integrations.py) carries an
MlflowPromotion. When it is approved, a row for the "mlflow" outbox sink is queued in the same
transaction; the sink (bot/mlflow_sink.py) tags the version with the hand-off and its
approvers and then sets the production alias, retrying while MLflow is down. A production
alias set on a version without an approved hand-off is reported in the channel and audited.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.base import utcnow
from models.enums import Decision, HandoffStatus, Stage
from models.gates import MlflowPromotion
from models.handoff import Handoff
from models.notifications import (
    MlflowAliasFailed,
    MlflowAliasSet,
    MlflowAliasUnsigned,
    SetProductionAlias,
)
from models.project import Project
from models.schemas.base import Actor
from models.schemas.integrations import Outcome
from models.services import audit, outbox
from models.services.integrations import MLFLOW_ACTOR, linked_projects

log = logging.getLogger(__name__)

RECENT_APPROVALS = 50  # approved deploy hand-offs searched for a hand-promoted version


@dataclass(frozen=True)
class PromotionTask:
    """Everything the sink sends to MLflow, read in the delivery transaction."""

    promotion_id: int
    model_name: str
    version: str
    alias: str
    tags: dict[str, str]


def queue_promotion(s: Session, project: Project, handoff: Handoff) -> None:
    """On approval: the production alias is owed to this hand-off's version, if it has one."""
    promotion = _promotion_of(s, handoff.id)
    if promotion is None or handoff.status != HandoffStatus.APPROVED:
        return
    note = SetProductionAlias(
        project_id=project.id, handoff_id=handoff.id, promotion_id=promotion.id
    )
    outbox.to_sink(s, project.team_id, promotion.model_name[:50], note)  # one model's in order


def promotion_task(s: Session, team_id: str, promotion_id: int) -> PromotionTask:
    promotion = s.get(MlflowPromotion, promotion_id)
    if promotion is None or promotion.team_id != team_id:
        raise LookupError(f"MLflow promotion {promotion_id} does not exist")
    handoff = s.get(Handoff, promotion.handoff_id)
    assert handoff is not None
    approvers = _approvers(handoff)
    tags = {
        "baton.handoff_id": str(handoff.id),
        "baton.approved_by": ",".join(approvers),
        "baton.approved_at": handoff.closed_at.isoformat() if handoff.closed_at else "",
    }
    return PromotionTask(
        promotion.id, promotion.model_name, promotion.version, promotion.alias, tags
    )


def record_promoted(s: Session, promotion_id: int) -> None:
    promotion, project = _promotion_and_project(s, promotion_id)
    first_time = promotion.promoted_at is None
    promotion.promoted_at, promotion.last_error = utcnow(), None
    if not first_time:
        return
    audit.record(
        s,
        Actor(project.team_id, MLFLOW_ACTOR),
        "mlflow.alias_set",
        project,
        handoff_id=promotion.handoff_id,
        model=promotion.model_name,
        version=promotion.version,
        alias=promotion.alias,
    )
    _tell_channel(s, project, promotion, MlflowAliasSet)


def record_promotion_failed(s: Session, promotion_id: int, error: str, *, final: bool) -> None:
    """The channel hears of the first failure (Baton keeps trying) and of giving up."""
    promotion, project = _promotion_and_project(s, promotion_id)
    first_failure = promotion.last_error is None
    promotion.last_error = error[:500]
    if first_failure or final:
        _tell_channel(s, project, promotion, MlflowAliasFailed, error=error[:300], final=final)


def production_alias_set(s: Session, name: str, alias: str, version: str) -> list[Outcome]:
    """The production alias moved in MLflow: fine after sign-off (Baton's own call comes back
    as this webhook), reported and audited without it."""
    outcomes = []
    for project in linked_projects(s, name):
        handoff = signed_off_handoff(s, project, name, version)
        if handoff is not None:
            note = f"signed off in hand-off {handoff.id}"
            outcomes.append(Outcome(project=project.key, outcome="signed_off", note=note))
            continue
        audit.record(
            s,
            Actor(project.team_id, MLFLOW_ACTOR),
            "mlflow.alias_without_signoff",
            project,
            model=name,
            version=version,
            alias=alias,
        )
        unsigned = MlflowAliasUnsigned(
            project_id=project.id, model=name, version=version, alias=alias
        )
        outbox.to_channel(s, project.team_id, project.channel_id, unsigned)
        log.warning("MLflow %s v%s got %r without sign-off (%s)", name, version, alias, project.key)
        outcomes.append(
            Outcome(project=project.key, outcome="unsigned", note="no approved hand-off")
        )
    return outcomes


def signed_off_handoff(s: Session, project: Project, name: str, version: str) -> Handoff | None:
    """An approved hand-off for exactly this version: one MLflow opened, or a develop → deploy
    whose packet names the model and version."""
    gated = s.scalars(
        select(Handoff)
        .join(MlflowPromotion, MlflowPromotion.handoff_id == Handoff.id)
        .where(
            MlflowPromotion.project_id == project.id,
            MlflowPromotion.model_name == name,
            MlflowPromotion.version == version,
            Handoff.status == HandoffStatus.APPROVED,
        )
        .limit(1)
    ).first()
    if gated is not None:
        return gated
    recent = s.scalars(
        select(Handoff)
        .where(
            Handoff.team_id == project.team_id,
            Handoff.project_id == project.id,
            Handoff.to_stage == Stage.DEPLOY,
            Handoff.status == HandoffStatus.APPROVED,
        )
        .order_by(Handoff.id.desc())
        .limit(RECENT_APPROVALS)
    )
    for handoff in recent:
        packet = handoff.packet or {}
        if packet.get("model_name") == name and str(packet.get("model_version")) == version:
            return handoff
    return None


def _approvers(handoff: Handoff) -> list[str]:
    decided = handoff.signoffs_this_round()
    approved = [so.user_id for so in decided.values() if so.decision == Decision.APPROVED]
    return list(dict.fromkeys(approved))


def _promotion_of(s: Session, handoff_id: int) -> MlflowPromotion | None:
    return s.scalars(
        select(MlflowPromotion).where(MlflowPromotion.handoff_id == handoff_id)
    ).one_or_none()


def _promotion_and_project(s: Session, promotion_id: int) -> tuple[MlflowPromotion, Project]:
    promotion = s.get(MlflowPromotion, promotion_id)
    if promotion is None:
        raise LookupError(f"MLflow promotion {promotion_id} does not exist")
    project = s.get(Project, promotion.project_id)
    assert project is not None
    return promotion, project


def _tell_channel(
    s: Session,
    project: Project,
    promotion: MlflowPromotion,
    kind: type[MlflowAliasSet | MlflowAliasFailed],
    **detail: Any,
) -> None:
    note = kind(
        project_id=project.id,
        handoff_id=promotion.handoff_id,
        model=promotion.model_name,
        version=promotion.version,
        alias=promotion.alias,
        **detail,
    )
    outbox.to_channel(s, project.team_id, project.channel_id, note)
