"""Monitors, recorded values and the alerts they open, on SQLite and PostgreSQL.

Given a seeded project (tests/models/conftest.py), people add monitors and record values
through the services, one committed transaction per call, as a Slack request would.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import event

from models import Monitor, Observation
from models.enums import Role
from models.errors import Conflict, DomainError, NotFound, PermissionDenied
from models.schemas.base import Actor
from models.schemas.monitoring import MetricPoint, MonitorSource
from models.services import monitoring, observations, projects
from models.sources import SourcePolicy
from tests.conftest import Clock, Database
from tests.models.conftest import CHANNEL, CREATOR, KEY, OUTSIDER, T_OTHER, Seeded, T, actions, rows
from tests.models.monitoring_steps import (
    DE,
    DS,
    add,
    alert_topics,
    alerts,
    home,
    now,
    record,
    topics,
)

# -- monitors ------------------------------------------------------------------------------


def test_member_adds_a_monitor_and_it_is_listed_and_audited(db: Database, seeded: Seeded) -> None:
    view = add(db)
    assert (view.metric, view.direction, view.threshold, view.owner_role) == (
        "auc",
        "min",
        0.8,
        Role.DATA_SCIENTIST,
    )
    with db.session() as s:
        listed = monitoring.list_monitors(s, home(DS), KEY)
    assert [(m.metric, m.rule, m.last_value, m.open_alert) for m in listed] == [
        ("auc", "below 0.8", None, None)
    ]
    assert "monitor.added" in actions(db)


def test_outsider_cannot_add_and_nothing_changes(db: Database, seeded: Seeded) -> None:
    before = db.dump()
    with pytest.raises(PermissionDenied, match="Only members"), db.session() as s:
        monitoring.add_monitor(s, home(OUTSIDER), KEY, "auc", "min", 0.8)
    assert db.dump() == before


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("http://169.254.169.254/latest/meta-data/", "cloud metadata address"),
        ("http://127.0.0.1:5432/", "loopback"),
        ("http://metadata.google.internal/", "cloud metadata service"),
        ("http://192.168.1.20/m.json", "BATON_METRIC_SOURCES_ALLOW"),
    ],
)
def test_the_service_refuses_a_forbidden_source_whoever_calls_it(
    db: Database, seeded: Seeded, url: str, why: str
) -> None:
    """The same rule as the command's, for any other way in (REST, CLI, a script)."""
    before = db.dump()
    source = MonitorSource(kind="json", url=url, query="auc")
    with pytest.raises(DomainError, match=f"Baton will not poll that json URL: .*{why}"):
        add(db, source=source)
    assert db.dump() == before
    allowing = SourcePolicy.from_setting("192.168.0.0/16")
    if "ALLOW" in why:
        assert add(db, source=source, sources=allowing).source_url == url
    else:
        with pytest.raises(DomainError, match=why):
            add(db, source=source, sources=allowing)


def test_monitor_list_shows_where_sources_point_to_members_only(
    db: Database, seeded: Seeded
) -> None:
    add(db, source=MonitorSource(kind="json", url="https://m.example/churn", query="auc"))
    with db.session() as s:
        member = monitoring.list_monitors(s, home(DE), KEY)
        outsider = monitoring.list_monitors(s, home(OUTSIDER), KEY)
        admin = monitoring.list_monitors(s, Actor(T, OUTSIDER, is_admin=True), KEY)
        other_workspace = pytest.raises(NotFound)
        with other_workspace:
            monitoring.list_monitors(s, Actor(T_OTHER, DS), KEY)
    assert [m.source_url for m in member + admin] == ["https://m.example/churn"] * 2
    assert [(m.metric, m.source_url, m.source_query, m.source_hidden) for m in outsider] == [
        ("auc", None, None, True)
    ]


def test_one_active_monitor_per_metric_until_removed(db: Database, seeded: Seeded) -> None:
    add(db)
    with pytest.raises(Conflict, match="already monitors auc"):
        add(db, threshold=0.7)
    with db.session() as s:
        monitoring.remove_monitor(s, home(DE), KEY, "auc")
    assert add(db, threshold=0.7).threshold == 0.7
    assert [m.removed_at is None for m in rows(db, Monitor)] == [False, True]
    assert actions(db).count("monitor.removed") == 1


def test_removing_an_unknown_metric_names_it(db: Database, seeded: Seeded) -> None:
    with pytest.raises(NotFound, match="no monitor for latency"), db.session() as s:
        monitoring.remove_monitor(s, home(DS), KEY, "latency")


def test_a_source_is_kept_and_polled_at_once(db: Database, seeded: Seeded, clock: Clock) -> None:
    source = MonitorSource(kind="json", url="https://metrics.example/churn", query="metrics.auc")
    view = add(db, source=source)
    assert (view.source_kind, view.source_query, view.poll_seconds) == ("json", "metrics.auc", 300)
    assert rows(db, Monitor)[0].next_poll_at == clock.now()
    with pytest.raises(ValueError, match="http"):
        MonitorSource(kind="json", url="file:///etc/passwd", query="a")


# -- recording values and alerts -------------------------------------------------------------


def test_a_value_inside_the_threshold_is_stored_and_opens_nothing(
    db: Database, seeded: Seeded
) -> None:
    add(db)
    result = record(db, 0.85)
    assert not result.breach and result.alert_opened is None
    assert [(o.value, o.breach, o.source) for o in rows(db, Observation)] == [
        (0.85, False, "slack")
    ]
    assert alerts(db) == [] and alert_topics(db) == []
    assert rows(db, Monitor)[0].last_value == 0.85


def test_a_breach_opens_one_alert_pinging_the_current_lead(
    db: Database, seeded: Seeded, clock: Clock
) -> None:
    add(db)
    first = record(db, 0.7, now=clock.now())
    assert first.breach and first.owner_user == DS
    second = record(db, 0.6)
    assert second.breach and second.alert_opened is None  # still the same alert
    [alert] = alerts(db)
    assert (alert.status, alert.value, alert.threshold, alert.owner_user) == ("open", 0.7, 0.8, DS)
    assert alert.opened_at == clock.now()
    assert [(t, c, d) for t, c, d in topics(db) if t == "alert.opened"] == [
        ("alert.opened", CHANNEL, {"alert_id": alert.id})
    ]
    assert [o.breach for o in rows(db, Observation)] == [True, True]
    assert actions(db).count("alert.opened") == 1


def test_max_monitors_alert_above_and_the_threshold_itself_is_fine(
    db: Database, seeded: Seeded
) -> None:
    add(db, metric="latency_p95", direction="max", threshold=250)
    assert not record(db, 250, metric="latency_p95").breach
    assert record(db, 251, metric="latency_p95").alert_opened is not None


def test_the_owner_is_whoever_leads_the_role_when_the_alert_opens(
    db: Database, seeded: Seeded
) -> None:
    add(db)
    seeded.assign(Role.DATA_SCIENTIST, "U_DS2", lead=True)
    assert record(db, 0.5).owner_user == "U_DS2"


def test_recovery_resolves_the_alert_and_a_new_breach_opens_another(
    db: Database, seeded: Seeded
) -> None:
    add(db)
    opened = record(db, 0.7).alert_opened
    recovered = record(db, 0.9)
    assert recovered.alert_resolved == opened and not recovered.breach
    assert alerts(db)[0].status == "resolved" and alerts(db)[0].resolved_at is not None
    resolved = [d for t, _, d in topics(db) if t == "alert.resolved"]
    assert resolved == [{"alert_id": opened, "value": 0.9}]
    assert record(db, 0.95).alert_resolved is None  # nothing left to resolve
    assert record(db, 0.6).alert_opened not in (None, opened)
    assert alert_topics(db) == ["alert.opened", "alert.resolved", "alert.opened"]


def test_a_racing_breach_that_lost_the_index_only_records(db: Database, seeded: Seeded) -> None:
    """Two values read 'no open alert' at once: the partial unique index lets one insert."""
    add(db)
    record(db, 0.7)
    with db.session() as s:
        target = observations._targets(s, T, {(KEY, "auc")})[(KEY, "auc")]
        target.alert = None  # what the loser read before the winner committed
        assert observations._open_alert(s, monitoring.system(T), target, 0.6, now()) is None
        assert target.alert is not None  # it now knows the winner's alert
        s.add(Observation(team_id=T, monitor_id=target.monitor.id, value=0.6, source="api"))
    assert len(alerts(db)) == 1 and alert_topics(db) == ["alert.opened"]
    assert len(rows(db, Observation)) == 2  # the session survived the failed savepoint


def test_people_outside_the_project_cannot_record_but_baton_can(
    db: Database, seeded: Seeded
) -> None:
    add(db)
    with pytest.raises(PermissionDenied), db.session() as s:
        monitoring.record_observation(s, home(OUTSIDER), KEY, "auc", 0.1, "slack", now())
    with db.session() as s:
        monitoring.record_observation(s, monitoring.system(T), KEY, "auc", 0.9, "api", now())
    assert [o.source for o in rows(db, Observation)] == ["api"]


def test_unknown_metric_archived_project_and_non_finite_values_are_refused(
    db: Database, seeded: Seeded
) -> None:
    add(db)
    with pytest.raises(NotFound, match="monitor add churn-model latency"):
        record(db, 1.0, metric="latency")
    with pytest.raises(DomainError, match="finite"):
        record(db, float("nan"))
    with db.session() as s:
        projects.archive_project(s, home(CREATOR), KEY)
    with pytest.raises(DomainError, match="archived"):
        record(db, 0.1)
    assert rows(db, Observation) == []


# -- batches -------------------------------------------------------------------------------


def test_a_batch_records_each_point_and_returns_the_unmatched(db: Database, seeded: Seeded) -> None:
    add(db)
    add(db, metric="latency_p95", direction="max", threshold=250)
    points = [
        MetricPoint(key=KEY, metric="auc", value=0.7),
        MetricPoint(key=KEY, metric="latency_p95", value=120),
        MetricPoint(key=KEY, metric="auc", value=0.9),
        MetricPoint(key=KEY, metric="recall", value=0.5),
        MetricPoint(key="other-model", metric="auc", value=0.5),
    ]
    with db.session() as s:
        result = monitoring.record_observations(s, T, points, "api", now())
    assert [(r.metric, r.breach) for r in result.recorded] == [
        ("auc", True),
        ("latency_p95", False),
        ("auc", False),
    ]
    assert [(p.key, p.metric) for p in result.unmatched] == [
        (KEY, "recall"),
        ("other-model", "auc"),
    ]
    assert alert_topics(db) == ["alert.opened", "alert.resolved"]
    assert "metric.pushed" in actions(db)


def test_a_batch_costs_the_same_queries_whatever_its_size(db: Database, seeded: Seeded) -> None:
    for n in range(12):
        add(db, metric=f"m{n}", direction="max", threshold=100)

    def selects(size: int) -> int:
        points = [MetricPoint(key=KEY, metric=f"m{i % 12}", value=1.0) for i in range(size)]
        counted: list[str] = []

        def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if statement.lstrip().upper().startswith("SELECT"):
                counted.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            with db.session() as s:
                monitoring.record_observations(s, T, points, "api", now())
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return len(counted)

    assert selects(2) == selects(60)


def test_a_batch_for_another_workspace_matches_nothing(db: Database, seeded: Seeded) -> None:
    add(db)
    with db.session() as s:
        result = monitoring.record_observations(
            s, T_OTHER, [MetricPoint(key=KEY, metric="auc", value=0.1)], "api", now()
        )
    assert result.recorded == [] and len(result.unmatched) == 1
    assert rows(db, Observation) == []


# -- acknowledging and escalating -------------------------------------------------------------
