"""Steps the monitoring service tests share: add a monitor, record a value, read the rows."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from models import Alert, Monitor, OutboxMessage
from models.enums import Role
from models.schemas.base import Actor
from models.schemas.monitoring import ObservationResult
from models.services import monitoring
from tests.conftest import Database
from tests.models.conftest import KEY, LEADS, T, rows

DS, ARCH = LEADS[Role.DATA_SCIENTIST], LEADS[Role.ML_ARCHITECT]
DE = LEADS[Role.DATA_ENGINEER]


def home(user: str) -> Actor:
    return Actor(T, user)


def add(
    db: Database,
    metric: str = "auc",
    direction: str = "min",
    threshold: float = 0.8,
    by: str = DS,
    key: str = KEY,
    **kw: Any,
) -> Any:
    with db.session() as s:
        return monitoring.add_monitor(s, home(by), key, metric, direction, threshold, **kw)


def record(
    db: Database,
    value: float,
    metric: str = "auc",
    by: str = DS,
    now: datetime | None = None,
    key: str = KEY,
) -> ObservationResult:
    with db.session() as s:
        return monitoring.record_observation(
            s, home(by), key, metric, value, "slack", now or datetime.now(UTC)
        )


def alerts(db: Database) -> list[Alert]:
    return rows(db, Alert)


def topics(db: Database) -> list[tuple[str, str | None, dict[str, Any]]]:
    return [(m.topic, m.channel_id, m.data) for m in rows(db, OutboxMessage)]


def alert_topics(db: Database) -> list[str]:
    return [t for t, _, _ in topics(db) if t.startswith("alert.")]


def open_alert(db: Database, value: float = 0.7) -> int:
    if not rows(db, Monitor, Monitor.removed_at.is_(None)):
        add(db)
    opened = record(db, value).alert_opened
    assert opened is not None
    return opened


def now() -> datetime:
    return datetime.now(UTC)
