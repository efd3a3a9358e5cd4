"""Monitors: add, list, remove. The one module callers need for monitoring: recording values
(models/services/observations.py) and alerts (models/services/alerts.py) are re-exported here.
"""

from __future__ import annotations

import math
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import rules
from models.base import utcnow
from models.enums import Role
from models.errors import Conflict, DomainError, NotFound
from models.monitor import Monitor
from models.project import Project
from models.schemas.base import Actor
from models.schemas.monitoring import MonitorSource, MonitorView
from models.services import audit
from models.services.alerts import (  # noqa: F401  (re-exported)
    acknowledge,
    alert_view,
    escalate_due,
    retrain_form,
    system,
)
from models.services.common import get_active_project, get_project, is_member, require_member
from models.services.observations import (  # noqa: F401  (re-exported)
    monitor_view,
    open_alerts,
    pull_failed,
    record_observation,
    record_observations,
)
from models.sources import SourcePolicy, SourceRefused


def add_monitor(
    s: Session,
    actor: Actor,
    key: str,
    metric: str,
    direction: str,
    threshold: float,
    *,
    source: MonitorSource | None = None,
    owner_role: Role = Role.DATA_SCIENTIST,
    now: datetime | None = None,
    sources: SourcePolicy | None = None,
) -> MonitorView:
    """`sources`: where the operator lets sources point (default: public addresses only)."""
    project = get_active_project(s, actor.team_id, key, lock=True)
    require_member(s, project, actor, "add monitors")
    _check_rule(metric, direction, threshold)
    if source is not None:
        _check_source(source, sources or SourcePolicy())
    existing = _active_monitors(s, project, metric)
    if existing:
        raise _already_monitored(key, existing[0])
    now = now or utcnow()
    monitor = Monitor(
        team_id=project.team_id,
        project_id=project.id,
        metric=metric,
        direction=direction,
        threshold=threshold,
        owner_role=owner_role,
        created_by=actor.user_id,
        created_at=now,
    )
    if source is not None:
        _set_source(monitor, source, now)
    _insert(s, project, monitor)
    _audit_added(s, actor, project, monitor, source)
    return monitor_view(project, monitor, None)


def list_monitors(s: Session, actor: Actor, key: str) -> list[MonitorView]:
    """Like every read, open to the actor's workspace; where a monitor's source points (its
    URL, query and last error, which name internal hosts) only to the project's members."""
    project = get_project(s, actor.team_id, key)
    monitors = _active_monitors(s, project)
    alerts = open_alerts(s, [m.id for m in monitors])
    views = [monitor_view(project, m, alerts.get(m.id)) for m in monitors]
    if actor.is_admin or is_member(s, project, actor.user_id):
        return views
    return [v.without_source() for v in views]


def remove_monitor(
    s: Session, actor: Actor, key: str, metric: str, now: datetime | None = None
) -> MonitorView:
    """Ends the row (history and observations stay); an open alert is closed with it."""
    project = get_active_project(s, actor.team_id, key, lock=True)
    require_member(s, project, actor, "remove monitors")
    found = _active_monitors(s, project, metric, lock=True)
    if not found:
        raise NotFound(f"'{key}' has no monitor for {metric}. `monitor list {key}` shows them.")
    monitor, now = found[0], now or utcnow()
    monitor.removed_at = now
    alert = open_alerts(s, [monitor.id]).get(monitor.id)
    if alert is not None:  # nobody is watching any more: it must not escalate
        alert.status, alert.resolved_at, alert.version = "resolved", now, alert.version + 1
    audit.record(
        s,
        actor,
        "monitor.removed",
        project,
        monitor_id=monitor.id,
        metric=metric,
        closed_alert=alert.id if alert is not None else None,
    )
    return monitor_view(project, monitor, None)


def _active_monitors(
    s: Session, project: Project, metric: str | None = None, *, lock: bool = False
) -> list[Monitor]:
    query = select(Monitor).where(
        Monitor.team_id == project.team_id,
        Monitor.project_id == project.id,
        Monitor.removed_at.is_(None),
    )
    if metric is not None:
        query = query.where(Monitor.metric == metric)
    if lock:
        query = query.with_for_update()
    return list(s.scalars(query.order_by(Monitor.metric)))


def _insert(s: Session, project: Project, monitor: Monitor) -> None:
    try:
        with s.begin_nested():
            s.add(monitor)
    except IntegrityError:  # a racing `monitor add` won the one-active-monitor index
        raise Conflict(f"'{project.key}' already monitors {monitor.metric}.") from None


def _audit_added(
    s: Session, actor: Actor, project: Project, m: Monitor, source: MonitorSource | None
) -> None:
    audit.record(
        s,
        actor,
        "monitor.added",
        project,
        monitor_id=m.id,
        metric=m.metric,
        direction=m.direction,
        threshold=m.threshold,
        owner_role=m.owner_role,
        source=source.model_dump() if source else None,
    )


def _check_rule(metric: str, direction: str, threshold: float) -> None:
    rules.metric_name(metric)
    if direction not in ("min", "max"):
        raise DomainError(f"'{direction}' is not a direction: use min (alert below) or max.")
    if not math.isfinite(threshold):
        raise DomainError("The threshold must be a finite number.")


def _check_source(source: MonitorSource, policy: SourcePolicy) -> None:
    try:
        policy.check_source(source.kind, source.url)
    except SourceRefused as exc:
        raise DomainError(f"Baton will not poll that {source.kind} URL: {exc}.") from None


def _already_monitored(key: str, m: Monitor) -> Conflict:
    return Conflict(
        f"'{key}' already monitors {m.metric} ({m.direction} {m.threshold:g}). "
        f"Remove it first with `monitor remove {key} {m.metric}`."
    )


def _set_source(monitor: Monitor, source: MonitorSource, now: datetime) -> None:
    monitor.source_kind, monitor.source_url = source.kind, source.url
    monitor.source_query, monitor.poll_seconds = source.query, source.poll_seconds
    monitor.next_poll_at = now  # first poll on the next tick, not a whole interval later
