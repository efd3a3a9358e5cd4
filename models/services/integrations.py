"""MLflow's model registry in Baton: linking registered models to projects, recording the
versions MLflow announces, and requesting develop → deploy when a version gets the request
alias (challenger). What follows the decision is models/services/mlflow_gate.py."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import rules
from models.audit import AuditEvent
from models.enums import Role, Stage
from models.errors import Conflict, DomainError, PacketInvalid
from models.gates import MlflowPromotion
from models.integrations import ModelLink
from models.lineage import ModelVersion
from models.policy import Policy
from models.project import Project
from models.schemas.base import Actor
from models.schemas.integrations import ModelLinkView, Outcome
from models.services import audit, handoffs, receipts
from models.services.common import get_active_project, leads_of, require_project_manager

log = logging.getLogger(__name__)

MLFLOW_ACTOR = "mlflow"  # who the audit trail names for what MLflow told us
VERSION_RECORDED = "mlflow.version_recorded"
ALIAS_VERSION_UNKNOWN = "mlflow.alias_version_unknown"


@dataclass(frozen=True)
class MlflowVersion:
    """A model version as MLflow's `model_version.created` payload describes it."""

    name: str
    version: str
    source: str | None = None
    run_id: str | None = None
    tags: dict[str, str] | None = None


def link_model(s: Session, actor: Actor, key: str, model: str) -> ModelLinkView:
    """Versions of `model` announced by MLflow will enter this project's lineage."""
    model = rules.model_name(model)
    project = get_active_project(s, actor.team_id, key, lock=True)
    require_project_manager(s, project, actor, "link MLflow models to it")
    existing = _link_of(s, actor.team_id, model)
    if existing is not None:
        return _linked_elsewhere_or_same(s, existing, project, model)
    link = ModelLink(
        team_id=actor.team_id,
        project_id=project.id,
        registered_model=model,
        created_by=actor.user_id,
    )
    try:
        with s.begin_nested():
            s.add(link)
    except IntegrityError:  # a racing link of the same model won
        raise Conflict(f"The MLflow model '{model}' was just linked to another project.") from None
    audit.record(s, actor, "project.model_linked", project, model=model)
    return _link_view(link, project)


def _linked_elsewhere_or_same(
    s: Session, link: ModelLink, project: Project, model: str
) -> ModelLinkView:
    if link.project_id == project.id:
        return _link_view(link, project)  # linking twice changes nothing
    other = s.get(Project, link.project_id)
    other_key = other.key if other is not None else "another project"
    raise Conflict(
        f"The MLflow model '{model}' is already linked to '{other_key}'; "
        "each registered model feeds one project's lineage."
    )


def first_delivery(s: Session, delivery_id: str) -> bool:
    """False if this MLflow delivery was handled before (a replay or a retry of a success)."""
    return receipts.first_receipt(s, f"mlflow:{delivery_id}", MLFLOW_ACTOR)


def record_mlflow_version(s: Session, mv: MlflowVersion) -> list[Outcome]:
    """The version enters the lineage of every project its model is linked to (once each)."""
    outcomes = []
    for project in linked_projects(s, mv.name):
        if _version_row(s, project, mv.name, mv.version) is not None:
            outcomes.append(Outcome(project=project.key, outcome="already_recorded"))
            continue
        s.add(_lineage_row(project, mv))
        # model_versions has no column for MLflow's tags: the audit event keeps them whole,
        # and the champion hand-off reads its packet from here.
        audit.record(
            s,
            Actor(project.team_id, MLFLOW_ACTOR),
            VERSION_RECORDED,
            project,
            model=mv.name,
            version=mv.version,
            source=mv.source,
            run_id=mv.run_id,
            tags=mv.tags or {},
        )
        outcomes.append(Outcome(project=project.key, outcome="recorded"))
    return outcomes


def _lineage_row(project: Project, mv: MlflowVersion) -> ModelVersion:
    tags = mv.tags or {}
    return ModelVersion(
        team_id=project.team_id,
        project_id=project.id,
        model_name=mv.name,  # a linked name: at most rules.MODEL_NAME_MAX
        version=mv.version,
        training_data=tags.get("training_data") or None,
        data_source=tags.get("data_source") or None,  # the data's origin, as the tag says
        evaluation=tags.get("evaluation") or None,
        run_id=mv.run_id[:64] if mv.run_id else None,
        model_source=mv.source,
        origin="mlflow",
        recorded_by=MLFLOW_ACTOR,
    )


class VersionNotYetRecorded(Exception):
    """The request alias names a version no linked project has recorded yet.

    MLflow sends `model_version.created` and `model_version_alias.created` concurrently, so
    the version's own delivery may still be on its way. Raised before anything is written:
    the caller rolls the transaction back and asks MLflow to deliver the alias again."""

    def __init__(self, name: str, version: str) -> None:
        super().__init__(f"version {version} of '{name}' is not recorded yet")
        self.name, self.version = name, version


def request_signoff_for_version(
    s: Session,
    name: str,
    version: str,
    policy: Policy,
    production_alias: str,
    *,
    may_wait: bool,
) -> list[Outcome]:
    """develop → deploy for each linked project, on behalf of its data-scientist lead; once
    approved, Baton sets `production_alias` on this version (models/services/mlflow_gate.py).

    The packet comes from the recorded version. If no linked project has recorded it,
    `may_wait` raises VersionNotYetRecorded (its announcement may be in flight); otherwise a
    project without the version is audited as not requested: its packet would be empty."""
    projects = linked_projects(s, name)
    known = {p.id for p in projects if _version_row(s, p, name, version) is not None}
    if projects and not known and may_wait:
        raise VersionNotYetRecorded(name, version)
    outcomes = []
    for project in projects:
        if project.id not in known:
            outcomes.append(_version_never_announced(s, project, name, version))
            continue
        try:
            with s.begin_nested():  # a refusal undoes only this project's attempt
                outcomes.append(_request_for(s, project, name, version, policy, production_alias))
        except DomainError as exc:
            note = _refusal_note(exc)
            log.info("MLflow %s v%s: no hand-off for %s: %s", name, version, project.key, note)
            outcomes.append(Outcome(project=project.key, outcome="not_requested", note=note))
    return outcomes


def _version_never_announced(s: Session, project: Project, name: str, version: str) -> Outcome:
    """The alias came but the version's own announcement never did (lost after MLflow's
    retries, or the model was linked since): there is nothing to fill the packet from."""
    audit.record(
        s,
        Actor(project.team_id, MLFLOW_ACTOR),
        ALIAS_VERSION_UNKNOWN,
        project,
        model=name,
        version=version,
    )
    log.warning(
        "MLflow %s v%s: no hand-off for %s: the version was never announced",
        name,
        version,
        project.key,
    )
    note = (
        f"MLflow never announced version {version} of '{name}' (model_version.created), so "
        "there is no packet to fill: request develop → deploy by hand"
    )
    return Outcome(project=project.key, outcome="not_requested", note=note)


def _request_for(
    s: Session, project: Project, name: str, version: str, policy: Policy, alias: str
) -> Outcome:
    lead = leads_of(s, project).get(Role.DATA_SCIENTIST)
    if lead is None:
        raise DomainError(f"'{project.key}' has no data scientist lead to request the hand-off.")
    packet = champion_packet(s, project, name, version, policy)
    view = handoffs.request_handoff(
        s, Actor(project.team_id, lead), project.key, Stage.DEPLOY, packet, policy, source="mlflow"
    )
    s.add(
        MlflowPromotion(
            team_id=project.team_id,
            handoff_id=view.id,
            project_id=project.id,
            model_name=name,
            version=version,
            alias=alias,
        )
    )
    return Outcome(project=project.key, outcome="requested", note=f"hand-off {view.id} requested")


def champion_packet(
    s: Session, project: Project, name: str, version: str, policy: Policy
) -> dict[str, str]:
    """The develop → deploy fields MLflow can fill: name, version, source, run id, and tags
    named like packet fields (training_data, data_source, evaluation, limitations, ...)."""
    recorded = _recorded_detail(s, project, name, version)
    known: dict[str, Any] = {
        **(recorded.get("tags") or {}),
        "model_name": name,
        "model_version": version,
        "source": recorded.get("source"),
        "run_id": recorded.get("run_id"),
    }
    transition = policy.transition(Stage.DEVELOP, Stage.DEPLOY)
    fields = [f.key for f in transition.fields] if transition is not None else []
    return {key: str(known[key]) for key in fields if known.get(key)}


def _refusal_note(exc: DomainError) -> str:
    if isinstance(exc, PacketInvalid):
        missing = ", ".join(exc.errors)
        return f"the packet is incomplete ({missing}): set these as tags on the MLflow version"
    return exc.message


def _recorded_detail(s: Session, project: Project, name: str, version: str) -> dict[str, Any]:
    events = s.scalars(
        select(AuditEvent)
        .where(
            AuditEvent.team_id == project.team_id,
            AuditEvent.project_id == project.id,
            AuditEvent.action == VERSION_RECORDED,
        )
        .order_by(AuditEvent.id.desc())
        .limit(200)
    )
    for event in events:
        if event.detail.get("model") == name and event.detail.get("version") == version:
            return event.detail
    return {}


def linked_projects(s: Session, model: str) -> list[Project]:
    """Every workspace's live project linked to this registered model."""
    rows = s.scalars(
        select(Project)
        .join(ModelLink, ModelLink.project_id == Project.id)
        .where(ModelLink.registered_model == model, Project.stage != Stage.ARCHIVED)
        .order_by(Project.team_id, Project.key)
    )
    return list(rows)


def _link_of(s: Session, team_id: str, model: str) -> ModelLink | None:
    return s.scalars(
        select(ModelLink).where(ModelLink.team_id == team_id, ModelLink.registered_model == model)
    ).one_or_none()


def _version_row(s: Session, project: Project, name: str, version: str) -> ModelVersion | None:
    return s.scalars(
        select(ModelVersion).where(
            ModelVersion.project_id == project.id,
            ModelVersion.model_name == name,
            ModelVersion.version == version,
        )
    ).one_or_none()


def _link_view(link: ModelLink, project: Project) -> ModelLinkView:
    return ModelLinkView(
        project_key=project.key,
        registered_model=link.registered_model,
        created_by=link.created_by,
        created_at=link.created_at,
    )
