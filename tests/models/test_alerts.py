"""Alerts after they open: acknowledging, escalating when nobody does, the retrain form,
and what `monitor list` shows of them, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from models import Monitor, Project
from models.enums import Role, Stage
from models.errors import DomainError, NotFound, PermissionDenied
from models.schemas.base import Actor
from models.services import monitoring
from models.services.alerts import ESCALATION_MINUTES as DELAY
from tests.conftest import Clock, Database
from tests.models.conftest import KEY, OUTSIDER, T_OTHER, Seeded, T, actions, rows, seed_project
from tests.models.monitoring_steps import (
    ARCH,
    DE,
    DS,
    alerts,
    home,
    now,
    open_alert,
    record,
    topics,
)


def test_a_member_acknowledges_once_and_a_repeat_changes_nothing(
    db: Database, seeded: Seeded
) -> None:
    alert_id = open_alert(db)
    with db.session() as s:
        first = monitoring.acknowledge(s, home(DE), alert_id)
    with db.session() as s:
        again = monitoring.acknowledge(s, home(DS), alert_id)
    assert first.changed and not again.changed
    assert again.alert.acknowledged_by == DE and again.alert.status == "acknowledged"
    assert actions(db).count("alert.acknowledged") == 1


@pytest.mark.parametrize(
    ("actor", "error"),
    [(Actor(T, OUTSIDER), PermissionDenied), (Actor(T_OTHER, DS, is_admin=True), NotFound)],
)
def test_outsiders_and_other_workspaces_cannot_acknowledge(
    db: Database, seeded: Seeded, actor: Actor, error: type[Exception]
) -> None:
    alert_id = open_alert(db)
    before = db.dump()
    with pytest.raises(error), db.session() as s:
        monitoring.acknowledge(s, actor, alert_id)
    assert db.dump() == before


def test_a_resolved_alert_cannot_be_acknowledged(db: Database, seeded: Seeded) -> None:
    alert_id = open_alert(db)
    record(db, 0.9)
    with pytest.raises(DomainError, match="already resolved"), db.session() as s:
        monitoring.acknowledge(s, home(DS), alert_id)


def test_unacknowledged_alerts_escalate_once_after_the_delay(
    db: Database, seeded: Seeded, clock: Clock
) -> None:
    alert_id = open_alert(db)
    with db.session() as s:
        assert monitoring.escalate_due(s, clock.now() + timedelta(minutes=29), DELAY) == 0
    with db.session() as s:
        assert monitoring.escalate_due(s, clock.now() + timedelta(minutes=30), DELAY) == 1
    with db.session() as s:
        assert monitoring.escalate_due(s, clock.now() + timedelta(hours=5), DELAY) == 0
    escalated = [d for t, _, d in topics(db) if t == "alert.escalated"]
    assert escalated == [{"alert_id": alert_id, "architect": ARCH}]
    assert alerts(db)[0].escalated_at == clock.now() + timedelta(minutes=30)
    assert actions(db).count("alert.escalated") == 1


def test_acknowledged_resolved_and_unwatched_alerts_do_not_escalate(
    db: Database, seeded: Seeded, clock: Clock
) -> None:
    acked = open_alert(db)
    with db.session() as s:
        monitoring.acknowledge(s, home(DS), acked)
    record(db, 0.9)  # resolves it
    open_alert(db)
    with db.session() as s:
        monitoring.remove_monitor(s, home(DS), KEY, "auc")  # closes the second alert with it
    with db.session() as s:
        assert monitoring.escalate_due(s, clock.now() + timedelta(hours=1), DELAY) == 0
    assert [a.status for a in alerts(db)] == ["resolved", "resolved"]


def test_the_escalation_delay_is_configurable(db: Database, seeded: Seeded, clock: Clock) -> None:
    open_alert(db)
    with db.session() as s:
        assert monitoring.escalate_due(s, clock.now() + timedelta(minutes=6), delay_minutes=5) == 1


def test_escalation_without_an_architect_lead_still_goes_out(db: Database, clock: Clock) -> None:
    seed_project(db, without=(Role.ML_ARCHITECT,))
    open_alert(db)
    with db.session() as s:
        monitoring.escalate_due(s, clock.now() + timedelta(minutes=31), DELAY)
    assert [d["architect"] for t, _, d in topics(db) if t == "alert.escalated"] == [None]


# -- the retrain hand-off form ------------------------------------------------------------------


def test_retrain_form_needs_the_monitor_stage(db: Database, seeded: Seeded) -> None:
    alert_id = open_alert(db)
    with pytest.raises(DomainError, match="is in manage, not monitor"), db.session() as s:
        monitoring.retrain_form(s, home(DS), alert_id, seeded.policy)


def test_retrain_form_is_prefilled_from_the_alert(db: Database, seeded: Seeded) -> None:
    alert_id = open_alert(db)
    with db.session() as s:
        s.execute(update(Project).where(Project.key == KEY).values(stage=Stage.MONITOR))
    with db.session() as s:
        form = monitoring.retrain_form(s, home(DS), alert_id, seeded.policy)
    assert (form.transition.from_stage, form.transition.to_stage) == (Stage.MONITOR, Stage.DEVELOP)
    assert form.prefill["issue"] == "auc 0.7 breached min 0.8"
    assert form.prefill["affected_metrics"] == "auc"
    with pytest.raises(PermissionDenied), db.session() as s:
        monitoring.retrain_form(s, home(OUTSIDER), alert_id, seeded.policy)


def test_list_shows_the_open_alert_and_a_failing_source(db: Database, seeded: Seeded) -> None:
    open_alert(db)
    monitor_id = rows(db, Monitor)[0].id
    with db.session() as s:
        monitoring.pull_failed(s, monitor_id, "timed out after 5s", now())
    with db.session() as s:
        monitoring.pull_failed(s, monitor_id, "HTTP 502", now())
    with db.session() as s:
        [view] = monitoring.list_monitors(s, home(DS), KEY)
    assert (view.open_alert, view.last_value, view.last_error) == ("open", 0.7, "HTTP 502")
    assert actions(db).count("monitor.source_failed") == 1  # audited when it starts failing
    with db.session() as s:
        monitoring.record_observation(s, monitoring.system(T), KEY, "auc", 0.9, "pull", now())
        assert s.scalars(select(Monitor.last_error)).one() is None
    assert actions(db).count("monitor.source_recovered") == 1
