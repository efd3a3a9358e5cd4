"""The digest's monitoring part: two queries whatever the number of monitors."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from models.monitor import OPEN_ALERT_STATUSES, Alert, Monitor, Observation
from models.project import Project
from models.schemas.digest import MonitorLine
from models.sources import shown_error

if TYPE_CHECKING:
    from models.services.digest import _Scope


def monitor_lines(s: Session, scope: _Scope, since: datetime | None) -> list[MonitorLine]:
    rows = s.execute(
        select(Monitor, Project.key, Alert.status)
        .join(Project, Project.id == Monitor.project_id)
        .outerjoin(
            Alert, and_(Alert.monitor_id == Monitor.id, Alert.status.in_(OPEN_ALERT_STATUSES))
        )
        .where(*scope.projects(), Monitor.team_id == scope.team_id, Monitor.removed_at.is_(None))
        .order_by(Project.key, Monitor.metric)
    ).all()
    breaches = _breaches_since(s, [m.id for m, _, _ in rows], since)
    return [
        MonitorLine(
            project_key=key,
            metric=m.metric,
            direction=m.direction,
            threshold=m.threshold,
            last_value=m.last_value,
            alert=alert,
            breaches_since=breaches.get(m.id, 0),
            source_error=shown_error(m.last_error),
        )
        for m, key, alert in rows
    ]


def _breaches_since(s: Session, monitor_ids: list[int], since: datetime | None) -> dict[int, int]:
    if not monitor_ids or since is None:
        return {}
    counted = s.execute(
        select(Observation.monitor_id, func.count())
        .where(
            Observation.monitor_id.in_(monitor_ids),
            Observation.breach.is_(True),
            Observation.observed_at > since,
        )
        .group_by(Observation.monitor_id)
    )
    return {monitor_id: int(n) for monitor_id, n in counted}
