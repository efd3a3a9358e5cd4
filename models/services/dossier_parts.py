"""Parts of the dossier: the people book, rules in force, lineage, monitors, the chain."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import Decision, Role
from models.handoff import Handoff
from models.lineage import ModelVersion
from models.monitor import Alert, Monitor
from models.policy import Policy
from models.project import Project
from models.schemas.dossier import (
    AlertRecord,
    ChainResult,
    LineageRecord,
    MonitorRecord,
    Person,
    Rules,
)
from models.sentences import Names
from models.services import audit_verify, people
from models.services.policy_history import rules_in_force

RULE_KEYS = {"from", "to", "signoff", "signoff_if_assigned", "receivers", "fields", "sla_hours"}


class Book:
    """Every person and hand-off the dossier names, resolved once."""

    def __init__(self, s: Session, team_id: str, ids: set[str], handoffs: dict[int, str]) -> None:
        self.names = Names(people.names(s, team_id, ids), handoffs)

    def person(self, user_id: str | None) -> Person | None:
        return Person(id=user_id, name=self.names.person(user_id)) if user_id else None

    def someone(self, user_id: str) -> Person:
        return Person(id=user_id, name=self.names.person(user_id))


def rules(h: Handoff, policy: Policy) -> Rules:
    transition = rules_in_force(h, policy)
    snapshot = h.policy_snapshot or (
        transition.model_dump(mode="json", by_alias=True) if transition else {}
    )
    labels = lambda key: [Role(r).label for r in snapshot.get(key, [])]  # noqa: E731
    return Rules(
        from_snapshot=h.policy_snapshot is not None,
        policy_version=h.policy_version,
        signoff=labels("signoff"),
        signoff_if_assigned=labels("signoff_if_assigned"),
        receivers=labels("receivers"),
        fields=list(snapshot.get("fields", [])),
        sla_hours=snapshot.get("sla_hours"),
        other={k: v for k, v in snapshot.items() if k not in RULE_KEYS},
    )


def lineage(
    s: Session, project: Project, handoffs: list[Handoff], book: Book
) -> list[LineageRecord]:
    by_id = {h.id: h for h in handoffs}
    rows = s.scalars(
        select(ModelVersion)
        .where(ModelVersion.team_id == project.team_id, ModelVersion.project_id == project.id)
        .order_by(ModelVersion.recorded_at, ModelVersion.id)
    )
    records = []
    for m in rows:
        h = by_id.get(m.handoff_id) if m.handoff_id else None
        approvers = [
            book.someone(so.user_id)
            for so in (h.signoffs if h else [])
            if so.round == h.round and so.decision == Decision.APPROVED
        ]
        records.append(
            LineageRecord(
                model_name=m.model_name,
                version=m.version,
                training_data=m.training_data,
                data_source=m.data_source,
                run_id=m.run_id,
                model_source=m.model_source,
                evaluation=m.evaluation,
                origin=m.origin,
                recorded_at=m.recorded_at,
                handoff_id=m.handoff_id,
                approvers=approvers,
            )
        )
    return records


def monitor(m: Monitor, alerts: list[Alert], book: Book) -> MonitorRecord:
    return MonitorRecord(
        metric=m.metric,
        direction=m.direction,
        threshold=m.threshold,
        owner_role=Role(m.owner_role).label,
        created_by=book.someone(m.created_by),
        created_at=m.created_at,
        removed_at=m.removed_at,
        alerts=[
            AlertRecord(
                id=a.id,
                status=a.status,
                value=a.value,
                threshold=a.threshold,
                opened_at=a.opened_at,
                owner=book.person(a.owner_user),
                acknowledged_by=book.person(a.acknowledged_by),
                acknowledged_at=a.acknowledged_at,
                escalated_at=a.escalated_at,
                resolved_at=a.resolved_at,
            )
            for a in alerts
        ],
    )


def chain(s: Session, team_id: str) -> ChainResult:
    check = audit_verify.verify(s, team_id)
    problem = None
    if check.broken is not None:
        b = check.broken
        problem = f"event #{b.event_id} ({b.action}): {b.problem}" if b.event_id else b.problem
    return ChainResult(
        ok=check.ok,
        events=check.events,
        head_hash=check.head_hash,
        head_at=check.head_at,
        problem=problem,
    )
