"""Outbox topic → the message it becomes, rendered from current state at delivery time.

Hand-off cards are not here: they are posted once and then edited in place (bot/delivery.py).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from bot.blocks import alerts as alert_blocks
from bot.blocks import handoff as handoff_blocks
from bot.blocks import mlflow as mlflow_blocks
from models.enums import Role
from models.outbox import OutboxMessage
from models.policy import Policy
from models.project import Project
from models.schemas.monitoring import AlertView
from models.schemas.projects import HandoffView
from models.services.handoff_queries import view_by_id
from models.services.monitoring import alert_view

Payload = dict[str, Any]
Renderer = Callable[[Session, OutboxMessage, Policy], Payload]


def _view(s: Session, row: OutboxMessage, policy: Policy) -> HandoffView:
    assert row.handoff_id is not None
    return view_by_id(s, row.team_id, row.handoff_id, policy)


def _key(s: Session, row: OutboxMessage) -> str:
    project = s.get(Project, row.project_id) if row.project_id is not None else None
    return project.key if project is not None else "?"


def project_advanced(s: Session, row: OutboxMessage, policy: Policy) -> Payload:
    d = row.data
    return handoff_blocks.advanced_message(_key(s, row), d["stage_from"], d["stage_to"])


def handoff_received(s: Session, row: OutboxMessage, policy: Policy) -> Payload:
    return handoff_blocks.received_message(_view(s, row, policy))


def changes_requested(s: Session, row: OutboxMessage, policy: Policy) -> Payload:
    return handoff_blocks.changes_requested_message(_view(s, row, policy), row.data["by"])


def role_assigned(s: Session, row: OutboxMessage, policy: Policy) -> Payload:
    d = row.data
    label = Role(d["role"]).label
    return handoff_blocks.role_assigned_message(_key(s, row), label, d["lead"], d["by"])


def digest(s: Session, row: OutboxMessage, policy: Policy) -> Payload:
    from bot.blocks.digest import digest_message

    return digest_message(row.data["digest"])


def signoff_reminder(s: Session, row: OutboxMessage, policy: Policy) -> Payload:
    from bot.blocks.reminders import reminder_message

    return reminder_message(_view(s, row, policy), row.data)


def signoff_escalation(s: Session, row: OutboxMessage, policy: Policy) -> Payload:
    from bot.blocks.reminders import escalation_message

    return escalation_message(_view(s, row, policy), row.data)


def _alert(s: Session, row: OutboxMessage) -> AlertView:
    return alert_view(s, row.team_id, int(row.data["alert_id"]))


def alert_opened(s: Session, row: OutboxMessage, policy: Policy) -> Payload:
    return alert_blocks.opened_message(_alert(s, row))


def alert_resolved(s: Session, row: OutboxMessage, policy: Policy) -> Payload:
    return alert_blocks.resolved_message(_alert(s, row), float(row.data["value"]))


def alert_escalated(s: Session, row: OutboxMessage, policy: Policy) -> Payload:
    return alert_blocks.escalated_message(_alert(s, row), row.data.get("architect"))


def mlflow_alias_set(s: Session, row: OutboxMessage, policy: Policy) -> Payload:
    d = row.data
    return mlflow_blocks.alias_set_message(
        _key(s, row), d["model"], d["version"], d["alias"], int(row.handoff_id or 0)
    )


def mlflow_alias_failed(s: Session, row: OutboxMessage, policy: Policy) -> Payload:
    d = row.data
    return mlflow_blocks.alias_failed_message(
        _key(s, row), d["model"], d["version"], d["alias"], d["error"], bool(d["final"])
    )


def mlflow_alias_unsigned(s: Session, row: OutboxMessage, policy: Policy) -> Payload:
    d = row.data
    return mlflow_blocks.alias_unsigned_message(_key(s, row), d["model"], d["version"], d["alias"])


RENDERERS: dict[str, Renderer] = {
    "project.advanced": project_advanced,
    "handoff.received": handoff_received,
    "handoff.changes_requested": changes_requested,
    "role.assigned": role_assigned,
    "digest.post": digest,
    "signoff.reminder": signoff_reminder,
    "signoff.escalation": signoff_escalation,
    "alert.opened": alert_opened,
    "alert.resolved": alert_resolved,
    "alert.escalated": alert_escalated,
    "mlflow.alias_set": mlflow_alias_set,
    "mlflow.alias_failed": mlflow_alias_failed,
    "mlflow.alias_unsigned": mlflow_alias_unsigned,
}
