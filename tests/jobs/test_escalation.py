"""BATON_ALERT_ESCALATION_MINUTES, from the environment to the escalation the scheduler's tick
queues: set to 7, an unacknowledged alert pings the architect at 7 minutes, not at 30."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.config import Settings
from bot.runtime import Runtime
from bot.scheduler import Scheduler, job_context
from bot.slack import make_client
from jobs.context import JobContext
from models import OutboxMessage
from models.policy import DEFAULT_POLICY
from models.services.alerts import ESCALATION_MINUTES
from tests.conftest import Clock, Database
from tests.fakeslack import FakeSlack
from tests.models.conftest import rows, seed_project
from tests.models.monitoring_steps import ARCH, open_alert


def scheduler_from_env(db: Database) -> Scheduler:
    """The scheduler as `baton serve` builds it: Settings read from the environment (with
    the `slack_env` fixture's loopback Slack in it)."""
    settings = Settings(_env_file=None, baton_database_url=db.url)
    rt = Runtime(
        settings=settings,
        engine=db.engine,
        sessions=db.factory,
        policy=DEFAULT_POLICY,
        client=make_client(settings),
    )
    return Scheduler(job_context(rt))


def escalations(db: Database) -> list[dict[str, object]]:
    return [m.data for m in rows(db, OutboxMessage) if m.topic == "alert.escalated"]


def test_the_escalation_delay_set_in_the_environment_reaches_the_tick(
    db: Database, clock: Clock, monkeypatch: pytest.MonkeyPatch, slack_env: FakeSlack
) -> None:
    monkeypatch.setenv("BATON_ALERT_ESCALATION_MINUTES", "7")
    seed_project(db)
    alert_id = open_alert(db)
    opened = clock.now()
    scheduler = scheduler_from_env(db)

    assert scheduler.tick(opened + timedelta(minutes=6, seconds=59)).alerts_escalated == 0
    assert escalations(db) == []
    assert scheduler.tick(opened + timedelta(minutes=7)).alerts_escalated == 1
    assert escalations(db) == [{"alert_id": alert_id, "architect": ARCH}]
    assert scheduler.tick(opened + timedelta(minutes=30)).alerts_escalated == 0


def test_without_the_setting_every_layer_waits_the_one_default(
    db: Database, clock: Clock, monkeypatch: pytest.MonkeyPatch, slack_env: FakeSlack
) -> None:
    monkeypatch.delenv("BATON_ALERT_ESCALATION_MINUTES", raising=False)
    assert ESCALATION_MINUTES == 30
    assert Settings(_env_file=None).baton_alert_escalation_minutes == ESCALATION_MINUTES
    assert JobContext(sessions=db.factory, policy=DEFAULT_POLICY).alert_escalation_minutes == 30
    seed_project(db)
    open_alert(db)
    scheduler = scheduler_from_env(db)

    assert scheduler.tick(clock.now() + timedelta(minutes=29)).alerts_escalated == 0
    assert scheduler.tick(clock.now() + timedelta(minutes=30)).alerts_escalated == 1
