"""Alerts after they open: acknowledge, escalate when nobody does, and the retrain hand-off form.

Opening and resolving happen where values are recorded (models/services/monitoring.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from models.base import utcnow
from models.enums import Role, Stage
from models.errors import DomainError, NotFound
from models.monitor import OPEN_ALERT_STATUSES, Alert, Monitor, Observation
from models.notifications import AlertEscalated, AlertUpdated
from models.policy import Policy
from models.project import Project
from models.schemas.base import Actor
from models.schemas.monitoring import AckResult, AlertView
from models.services import audit, handoffs, outbox
from models.services.common import leads_by_project, require_member
from models.services.handoff_queries import open_handoff_of

# How long an open alert may go unacknowledged before the ML architect lead is pinged: the one
# default of BATON_ALERT_ESCALATION_MINUTES (bot/config.py) and of JobContext (jobs/context.py).
ESCALATION_MINUTES = 30
ID_MAX = 10**15  # a button value longer than any id we issue is tampered with


def system(team_id: str) -> Actor:
    return Actor.system(team_id)


def alert_view(s: Session, team_id: str, alert_id: int) -> AlertView:
    alert, monitor, project = _alert(s, team_id, alert_id)
    return _view(s, alert, monitor, project)


def refresh_cards(s: Session, project: Project) -> None:
    """Its open alerts' messages are edited: whether a retrain applies changed (a hand-off
    opened or closed, the stage moved). Queued to the channel the alerts are posted in, after
    any alert still waiting to be posted there."""
    ids = s.scalars(
        select(Alert.id).where(
            Alert.project_id == project.id, Alert.status.in_(OPEN_ALERT_STATUSES)
        )
    )
    for alert_id in ids:
        _tell_updated(s, project, alert_id)


def _tell_updated(s: Session, project: Project, alert_id: int) -> None:
    note = AlertUpdated(project_id=project.id, alert_id=alert_id)
    outbox.to_channel(s, project.team_id, project.channel_id, note)


def acknowledge(s: Session, actor: Actor, alert_id: int, now: datetime | None = None) -> AckResult:
    """Someone is on it: stops the escalation. A repeat (double click, a colleague) is a no-op."""
    alert, monitor, project = _alert(s, actor.team_id, alert_id, lock=True)
    require_member(s, project, actor, "acknowledge its alerts")
    if alert.status == "resolved":
        raise DomainError(
            f"This alert is already resolved: {monitor.metric} on '{project.key}' is back "
            "within its threshold."
        )
    if alert.status == "acknowledged":
        return AckResult(alert=_view(s, alert, monitor, project), changed=False)
    alert.status, alert.acknowledged_by = "acknowledged", actor.user_id
    alert.acknowledged_at, alert.version = now or utcnow(), alert.version + 1
    audit.record(s, actor, "alert.acknowledged", project, alert_id=alert.id, metric=monitor.metric)
    _tell_updated(s, project, alert.id)  # every copy says who is on it; Acknowledge goes
    return AckResult(alert=_view(s, alert, monitor, project), changed=True)


def escalate_due(s: Session, now: datetime, delay_minutes: int) -> int:
    """Ping the ML architect lead about alerts nobody acknowledged within the delay; once each,
    across replicas, because only the run whose conditional update lands queues the message."""
    rows = s.execute(
        select(Alert, Project)
        .join(Monitor, Monitor.id == Alert.monitor_id)
        .join(Project, Project.id == Alert.project_id)
        .where(
            Alert.status == "open",
            Alert.escalated_at.is_(None),
            Alert.opened_at <= now - timedelta(minutes=delay_minutes),
            Monitor.removed_at.is_(None),
            Project.stage != Stage.ARCHIVED,
        )
        .order_by(Alert.opened_at, Alert.id)
    ).all()
    leads = _architects(s, [p for _, p in rows])
    escalated = 0
    for alert, project in rows:
        if _claim_escalation(s, alert.id, now):
            _escalate(s, alert, project, leads.get(project.id))
            escalated += 1
    return escalated


def retrain_form(s: Session, actor: Actor, alert_id: int, policy: Policy) -> handoffs.Form:
    """The monitor → develop hand-off form, its issue and metric taken from the alert."""
    alert, monitor, project = _alert(s, actor.team_id, alert_id)
    if project.stage != Stage.MONITOR:
        raise DomainError(
            f"'{project.key}' is in {project.stage.value}, not monitor: a retrain hand-off "
            "(monitor → develop) starts from monitor."
        )
    form = handoffs.form_for(s, actor, project.key, Stage.DEVELOP, policy)
    if form.resubmit:  # a hand-off awaiting changes keeps its own packet
        return form
    breach = _view(s, alert, monitor, project).breach_text
    override = {"issue": breach, "affected_metrics": monitor.metric}
    known = {f.key for f in form.transition.fields}
    return replace(
        form, prefill={**form.prefill, **{k: v for k, v in override.items() if k in known}}
    )


def _alert(
    s: Session, team_id: str, alert_id: int, *, lock: bool = False
) -> tuple[Alert, Monitor, Project]:
    query = (
        select(Alert, Monitor, Project)
        .join(Monitor, Monitor.id == Alert.monitor_id)
        .join(Project, Project.id == Alert.project_id)
        .where(Alert.team_id == team_id, Alert.id == alert_id)
    )
    if lock:
        query = query.with_for_update(of=Alert)
    row = s.execute(query).one_or_none() if 0 < alert_id < ID_MAX else None
    if row is None:
        raise NotFound("That alert does not exist in this workspace.")
    return row[0], row[1], row[2]


def _architects(s: Session, projects: list[Project]) -> dict[int, str]:
    """ML architect leads of the projects involved: one query per workspace."""
    by_team: dict[str, set[int]] = defaultdict(set)
    for p in projects:
        by_team[p.team_id].add(p.id)
    found: dict[int, str] = {}
    for team, ids in by_team.items():
        leads = leads_by_project(s, team, ids)
        found.update({pid: u for (pid, role), u in leads.items() if role == Role.ML_ARCHITECT})
    return found


def _claim_escalation(s: Session, alert_id: int, now: datetime) -> bool:
    landed = s.execute(
        update(Alert)
        .where(Alert.id == alert_id, Alert.status == "open", Alert.escalated_at.is_(None))
        .values(escalated_at=now, version=Alert.version + 1)
        .returning(Alert.id)
        .execution_options(synchronize_session="fetch")
    )
    # RETURNING, not rowcount, as in models/inserts.py.
    return landed.scalar_one_or_none() is not None


def _escalate(s: Session, alert: Alert, project: Project, architect: str | None) -> None:
    note = AlertEscalated(project_id=project.id, alert_id=alert.id, architect=architect)
    outbox.to_channel(s, project.team_id, project.channel_id, note)
    audit.record(
        s,
        system(project.team_id),
        "alert.escalated",
        project,
        alert_id=alert.id,
        architect=architect,
        owner=alert.owner_user,
    )


def _view(s: Session, alert: Alert, monitor: Monitor, project: Project) -> AlertView:
    return AlertView(
        id=alert.id,
        team_id=alert.team_id,
        project_key=project.key,
        project_name=project.name,
        channel_id=project.channel_id,
        metric=monitor.metric,
        direction="min" if monitor.direction == "min" else "max",
        threshold=alert.threshold,
        value=alert.value,
        status=alert.status,
        owner_role=monitor.owner_role,
        owner_user=alert.owner_user,
        opened_at=alert.opened_at,
        acknowledged_by=alert.acknowledged_by,
        acknowledged_at=alert.acknowledged_at,
        escalated_at=alert.escalated_at,
        resolved_at=alert.resolved_at,
        message_ts=alert.message_ts,
        message_channel=alert.channel_id,
        resolved_value=_resolved_value(s, alert),
        retrain_blocked=_retrain_blocked(s, project),
    )


def _resolved_value(s: Session, alert: Alert) -> float | None:
    """The value that ended the alert: the observation recorded at its resolution."""
    if alert.resolved_at is None:
        return None
    return s.scalar(
        select(Observation.value)
        .where(Observation.monitor_id == alert.monitor_id)
        .where(Observation.observed_at == alert.resolved_at, Observation.breach.is_(False))
        .limit(1)
    )


def _retrain_blocked(s: Session, project: Project) -> str | None:
    """Why a retrain hand-off (monitor → develop) cannot be opened from the alert, or None."""
    if project.stage != Stage.MONITOR:
        return f"the project is in {project.stage.value} now, not monitor"
    current = open_handoff_of(s, project)
    if current is not None:
        return f"a hand-off is open ({current.from_stage.value} → {current.to_stage.value})"
    return None
