"""The digest's monitoring part: two queries whatever the number of monitors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import ColumnElement, Connection, Row, Select, and_, bindparam, func, select
from sqlalchemy.orm import Session

from models.monitor import OPEN_ALERT_STATUSES, Alert, Monitor, Observation
from models.project import Project
from models.schemas.digest import MonitorLine
from models.sources import shown_error

if TYPE_CHECKING:
    from models.services.digest import _Scope


def _monitors_where(*where: ColumnElement[bool]) -> Select[Any]:
    """Monitors with their project's key and open alert: columns, not ORM rows (the digest
    and the status card read them as Core rows on the session's connection)."""
    return (
        select(
            Monitor.id,
            Project.key,
            Monitor.metric,
            Monitor.direction,
            Monitor.threshold,
            Monitor.last_value,
            Monitor.last_error,
            Alert.status,
        )
        .join(Project, Project.id == Monitor.project_id)
        .outerjoin(
            Alert, and_(Alert.monitor_id == Monitor.id, Alert.status.in_(OPEN_ALERT_STATUSES))
        )
        .where(*where, Monitor.removed_at.is_(None))
        .order_by(Project.key, Monitor.metric)
    )


# One project's (the status card): composed once, its parameters per call.
_OF_PROJECT = _monitors_where(
    Monitor.team_id == bindparam("team_id"), Monitor.project_id == bindparam("project_id")
)


def monitor_lines(s: Session, scope: _Scope, since: datetime | None) -> list[MonitorLine]:
    query = _monitors_where(*scope.projects(), Monitor.team_id == scope.team_id)
    rows = s.connection().execute(query).all()
    breaches = _breaches_since(s, [row.id for row in rows], since)
    return _lines(rows, breaches)


def project_monitor_lines(conn: Connection, team_id: str, project_id: int) -> list[MonitorLine]:
    """One live project's monitors, as `monitor_lines` reads them with nothing since (on
    the connection of the caller's session)."""
    params = {"team_id": team_id, "project_id": project_id}
    return _lines(conn.execute(_OF_PROJECT, params).all(), {})


def _lines(rows: Sequence[Row[Any]], breaches: dict[int, int]) -> list[MonitorLine]:
    return [
        MonitorLine.trusted(
            project_key=row.key,
            metric=row.metric,
            direction=row.direction,
            threshold=row.threshold,
            last_value=row.last_value,
            alert=row.status,
            breaches_since=breaches.get(row.id, 0),
            source_error=shown_error(row.last_error),
        )
        for row in rows
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
