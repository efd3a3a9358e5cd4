"""The daily observation prune: with BATON_OBSERVATION_RETENTION_DAYS set, the first tick of
each UTC day on any replica deletes observations older than the setting, once; audit events
stay as they were (the prune itself is one more, audited event). Unset, nothing is done."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from bot.scheduler import Scheduler
from jobs.context import JobContext
from models import AuditEvent, JobRun, Observation
from models.policy import DEFAULT_POLICY
from models.services import audit_verify
from tests.conftest import Clock, Database
from tests.fakeslack import FakeSlack
from tests.jobs.test_escalation import scheduler_from_env
from tests.jobs.test_scheduler import in_threads
from tests.models.conftest import T, rows, seed_project
from tests.models.monitoring_steps import add, record

PRUNE = "observations_prune"


def replica(db: Database, name: str, days: int | None) -> Scheduler:
    ctx = JobContext(
        sessions=db.factory, policy=DEFAULT_POLICY, replica=name, observation_retention_days=days
    )
    return Scheduler(ctx)


def observed_days_ago(db: Database, now: datetime, *days: int) -> None:
    for days_ago in days:
        record(db, 0.9, now=now - timedelta(days=days_ago))


def ages(db: Database, now: datetime) -> list[int]:
    return sorted((now - o.observed_at).days for o in rows(db, Observation))


def audit_trail(db: Database) -> list[tuple[int, str, str | None]]:
    return [(e.id, e.action, e.hash) for e in rows(db, AuditEvent)]


def test_two_replicas_prune_once_a_day_and_leave_the_audit_trail_alone(
    db: Database, clock: Clock
) -> None:
    seed_project(db)
    add(db)
    now = clock.now()
    observed_days_ago(db, now, 100, 40, 1)
    trail = audit_trail(db)
    a, b = replica(db, "host-a:1", 30), replica(db, "host-b:1", 30)

    assert a.tick(now)[PRUNE] == 2
    assert b.tick(now + timedelta(minutes=1))[PRUNE] == 0
    assert a.tick(now + timedelta(hours=14))[PRUNE] == 0  # 23:00: still the same day

    assert ages(db, now) == [1]
    after = audit_trail(db)
    assert after[: len(trail)] == trail  # nothing changed, nothing removed
    (pruned,) = [e for e in rows(db, AuditEvent) if e.action == "observations.pruned"]
    assert pruned.detail["count"] == 2
    (run,) = rows(db, JobRun, JobRun.job == PRUNE)
    assert (run.claimed_by, run.outcome) == ("host-a:1", "done: 2")

    observed_days_ago(db, now, 31)  # a late-arriving old value: tomorrow's run takes it
    assert b.tick(now + timedelta(days=1))[PRUNE] == 1
    assert ages(db, now) == [1]
    with db.session() as s:
        assert audit_verify.verify(s, T).ok


def test_replicas_ticking_at_the_same_moment_prune_once(pg: Database, clock: Clock) -> None:
    seed_project(pg)
    add(pg)
    now = clock.now()
    observed_days_ago(pg, now, 100, 40, 1)
    a, b = replica(pg, "host-a:1", 30), replica(pg, "host-b:1", 30)

    reports = in_threads([lambda: a.tick(now), lambda: b.tick(now)])

    assert sorted(r[PRUNE] for r in reports) == [0, 2]
    assert ages(pg, now) == [1]
    assert len(rows(pg, AuditEvent, AuditEvent.action == "observations.pruned")) == 1
    assert len(rows(pg, JobRun, JobRun.job == PRUNE)) == 1


def test_unset_retention_keeps_every_observation_and_claims_nothing(
    db: Database, clock: Clock
) -> None:
    seed_project(db)
    add(db)
    now = clock.now()
    observed_days_ago(db, now, 4000, 1)

    assert replica(db, "host-a:1", None).tick(now + timedelta(days=1))[PRUNE] == 0

    assert ages(db, now) == [1, 4000]
    assert rows(db, JobRun, JobRun.job == PRUNE) == []
    assert rows(db, AuditEvent, AuditEvent.action == "observations.pruned") == []


def test_the_setting_in_the_environment_reaches_the_job(
    db: Database, clock: Clock, monkeypatch: pytest.MonkeyPatch, slack_env: FakeSlack
) -> None:
    monkeypatch.setenv("BATON_OBSERVATION_RETENTION_DAYS", "30")
    scheduler = scheduler_from_env(db)
    seed_project(db)
    add(db)
    now = clock.now()
    observed_days_ago(db, now, 31, 29)

    assert scheduler.tick(now)[PRUNE] == 1
    assert ages(db, now) == [29]
