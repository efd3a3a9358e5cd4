"""Recording metric values: one by hand, a pushed batch, or a polled one; a breach opens one
alert per monitor and a value back within the threshold resolves it.

Batches are not N+1: the monitors of every (key, metric) pair, their open alerts and their
owners load in three queries, whatever the batch size.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.enums import Stage
from models.errors import DomainError, NotFound
from models.monitor import OPEN_ALERT_STATUSES, Alert, Monitor, Observation
from models.notifications import AlertOpened, AlertResolved
from models.project import Project
from models.schemas.base import SYSTEM_USER, Actor
from models.schemas.monitoring import (
    BatchResult,
    MetricPoint,
    MonitorView,
    ObservationResult,
    breaches,
)
from models.services import audit, outbox
from models.services.alerts import system
from models.services.common import get_active_project, leads_by_project, require_member
from models.sources import shown_error

ERROR_MAX = 500


@dataclass
class _Target:
    """A monitor with what recording a value needs; `alert` follows the batch as it goes."""

    project: Project
    monitor: Monitor
    alert: Alert | None
    owner: str | None  # current lead of the monitor's owner role


def record_observation(
    s: Session, actor: Actor, key: str, metric: str, value: float, source: str, now: datetime
) -> ObservationResult:
    """One value for one monitor, from a person (members only) or from Baton itself."""
    project = get_active_project(s, actor.team_id, key)
    if actor.user_id != SYSTEM_USER:
        require_member(s, project, actor, "record metric values")
    targets = _targets(s, actor.team_id, {(key, metric)})
    target = targets.get((key, metric))
    if target is None:
        raise NotFound(
            f"'{key}' has no monitor for {metric}. "
            f"Add one with `monitor add {key} {metric} <min|max> <threshold>`."
        )
    result = _observe(s, actor, target, value, source, now)
    if source != "pull":  # polled values are many and their own record (observations)
        audit.record(
            s, actor, "metric.recorded", project, metric=metric, value=value, source=source
        )
    return result


def record_observations(
    s: Session, team_id: str, items: Sequence[MetricPoint], source: str, now: datetime
) -> BatchResult:
    """A pushed batch: three queries whatever its size; points without a monitor come back.
    Points carry their own time or take `now`; they are applied oldest first, so alerts open
    and resolve in the order the values were measured."""
    actor = system(team_id)
    targets = _targets(s, team_id, {(i.key, i.metric) for i in items})
    recorded: list[ObservationResult] = []
    unmatched: list[MetricPoint] = []
    for item in sorted(items, key=lambda i: i.observed_at or now):
        target = targets.get((item.key, item.metric))
        if target is None:
            unmatched.append(item)
        else:
            at = item.observed_at or now
            recorded.append(_observe(s, actor, target, item.value, source, at))
    by_project = {t.project.id: t.project for t in targets.values()}
    for project in by_project.values():
        values = [r for r in recorded if r.project_key == project.key]
        metrics = sorted({r.metric for r in values})
        audit.record(
            s, actor, "metric.pushed", project, source=source, count=len(values), metrics=metrics
        )
    return BatchResult(recorded=recorded, unmatched=unmatched)


def pull_failed(s: Session, monitor_id: int, error: str, now: datetime) -> None:
    """A failing source: kept on the monitor for `monitor list` and audited when it starts."""
    monitor = s.get(Monitor, monitor_id)
    if monitor is None or monitor.removed_at is not None:
        return
    first = monitor.last_error is None
    monitor.last_error = error[:ERROR_MAX]
    if first:
        project = s.get(Project, monitor.project_id)
        detail = {"monitor_id": monitor.id, "metric": monitor.metric, "error": monitor.last_error}
        audit.record(s, system(monitor.team_id), "monitor.source_failed", project, **detail)


def monitor_view(project: Project, m: Monitor, alert: Alert | None) -> MonitorView:
    return MonitorView(
        id=m.id,
        project_key=project.key,
        metric=m.metric,
        direction="min" if m.direction == "min" else "max",
        threshold=m.threshold,
        owner_role=m.owner_role,
        source_kind=m.source_kind,
        source_url=m.source_url,
        source_query=m.source_query,
        poll_seconds=m.poll_seconds,
        last_value=m.last_value,
        last_observed_at=m.last_observed_at,
        last_error=shown_error(m.last_error),
        open_alert=alert.status if alert is not None else None,
        created_by=m.created_by,
        created_at=m.created_at,
    )


def open_alerts(s: Session, monitor_ids: list[int]) -> dict[int, Alert]:
    if not monitor_ids:
        return {}
    rows = s.scalars(
        select(Alert).where(
            Alert.monitor_id.in_(monitor_ids), Alert.status.in_(OPEN_ALERT_STATUSES)
        )
    )
    return {a.monitor_id: a for a in rows}


# -- recording a value ---------------------------------------------------------------------


def _observe(
    s: Session, actor: Actor, t: _Target, value: float, source: str, now: datetime
) -> ObservationResult:
    if not math.isfinite(value):
        raise DomainError(f"{value} is not a value Baton can record: send a finite number.")
    m = t.monitor
    breach = breaches(m.direction, m.threshold, value)
    s.add(
        Observation(
            team_id=m.team_id,
            monitor_id=m.id,
            value=value,
            observed_at=now,
            source=source,
            breach=breach,
        )
    )
    m.last_value, m.last_observed_at = value, now
    if source == "pull" and m.last_error is not None:
        audit.record(s, actor, "monitor.source_recovered", t.project, monitor_id=m.id)
        m.last_error = None
    opened = _open_alert(s, actor, t, value, now) if breach and t.alert is None else None
    resolved = _resolve_alert(s, actor, t, value, now) if not breach and t.alert else None
    return ObservationResult(
        project_key=t.project.key,
        metric=m.metric,
        value=value,
        breach=breach,
        monitor=monitor_view(t.project, m, t.alert),
        alert_opened=opened,
        alert_resolved=resolved,
        owner_user=t.owner if opened is not None else None,
    )


def _open_alert(s: Session, actor: Actor, t: _Target, value: float, now: datetime) -> int | None:
    m, p = t.monitor, t.project
    alert = Alert(
        team_id=m.team_id,
        monitor_id=m.id,
        project_id=p.id,
        status="open",
        value=value,
        threshold=m.threshold,
        owner_user=t.owner,
        opened_at=now,
    )
    try:
        with s.begin_nested():
            s.add(alert)
    except IntegrityError:
        # A concurrent value opened the alert first: it pings; this one only records.
        t.alert = open_alerts(s, [m.id]).get(m.id)
        return None
    t.alert = alert
    audit.record(
        s,
        actor,
        "alert.opened",
        p,
        alert_id=alert.id,
        metric=m.metric,
        value=value,
        direction=m.direction,
        threshold=m.threshold,
        owner=t.owner,
    )
    outbox.to_channel(s, p.team_id, p.channel_id, AlertOpened(project_id=p.id, alert_id=alert.id))
    return alert.id


def _resolve_alert(s: Session, actor: Actor, t: _Target, value: float, now: datetime) -> int:
    alert, p = t.alert, t.project
    assert alert is not None
    alert.status, alert.resolved_at, alert.version = "resolved", now, alert.version + 1
    t.alert = None
    audit.record(
        s, actor, "alert.resolved", p, alert_id=alert.id, metric=t.monitor.metric, value=value
    )
    resolved = AlertResolved(project_id=p.id, alert_id=alert.id, value=value)
    outbox.to_channel(s, p.team_id, p.channel_id, resolved)
    return alert.id


# -- lookups ---------------------------------------------------------------------------------


def _targets(
    s: Session, team_id: str, pairs: set[tuple[str, str]]
) -> dict[tuple[str, str], _Target]:
    """Monitors for many (key, metric) pairs, locked in id order (so racing writers queue
    rather than deadlock), with their open alerts and owners: three queries in all."""
    if not pairs:
        return {}
    rows = s.execute(
        select(Monitor, Project)
        .join(Project, Project.id == Monitor.project_id)
        .where(
            Monitor.team_id == team_id,
            Project.team_id == team_id,
            Project.key.in_({k for k, _ in pairs}),
            Monitor.metric.in_({m for _, m in pairs}),
            Monitor.removed_at.is_(None),
            Project.stage != Stage.ARCHIVED,
        )
        .order_by(Monitor.id)
        .with_for_update(of=Monitor)
    ).all()
    found = [(m, p) for m, p in rows if (p.key, m.metric) in pairs]
    alerts = open_alerts(s, [m.id for m, _ in found])
    leads = leads_by_project(s, team_id, {p.id for _, p in found})
    return {
        (p.key, m.metric): _Target(p, m, alerts.get(m.id), leads.get((p.id, m.owner_role)))
        for m, p in found
    }
