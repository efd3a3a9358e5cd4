"""The scheduler across replicas: each due digest goes out once, however many processes tick,
restart late or change the schedule under each other."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from bot.scheduler import Scheduler
from jobs import digests_due
from jobs.context import JobContext
from models import DigestSchedule, JobRun, OutboxMessage
from models.policy import DEFAULT_POLICY
from models.schemas.base import Actor
from models.services import projects, schedules
from tests.conftest import Database

T = "T_HOME"
CHANNEL = "C_ML"
MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
WEEKDAYS_9 = "0 9 * * mon-fri"


def replica(db: Database, name: str, *, grace_minutes: int = 60) -> Scheduler:
    """One process's scheduler: its own context and id, the shared database."""
    ctx = JobContext(
        sessions=db.factory,
        policy=DEFAULT_POLICY,
        timezone="UTC",
        replica=name,
        digest_grace_seconds=grace_minutes * 60,
    )
    return Scheduler(ctx, deliverer_kick=None)


def project_with_schedule(db: Database, cron: str = WEEKDAYS_9, *, at: datetime) -> int:
    creator = Actor(T, "U_CREATOR")
    with db.session() as s:
        projects.create_project(s, creator, "churn", "Churn", CHANNEL)
        return schedules.set_schedule(s, creator, CHANNEL, cron, "UTC", at).id


def digests(db: Database) -> list[OutboxMessage]:
    with db.session() as s:
        return list(s.scalars(select(OutboxMessage).where(OutboxMessage.topic == "digest.post")))


def runs(db: Database, job: str) -> list[JobRun]:
    with db.session() as s:
        return list(s.scalars(select(JobRun).where(JobRun.job == job).order_by(JobRun.id)))


def schedule(db: Database, schedule_id: int) -> DigestSchedule:
    with db.session() as s:
        row = s.get(DigestSchedule, schedule_id)
        assert row is not None
        return row


def in_threads(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run each call on its own thread; any error is re-raised here, never swallowed."""
    results: list[Any] = [None] * len(calls)
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            results[i] = calls[i]()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a ticking replica never finished"
    assert not errors, errors
    return results


def test_two_replicas_ticking_one_due_digest_post_it_once(
    pg: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    schedule_id = project_with_schedule(pg, at=MONDAY_9 - timedelta(hours=1))
    both_saw_it_due = threading.Barrier(2, timeout=30)
    read_due = digests_due._due_ids

    def due_then_wait(ctx: JobContext, now: datetime) -> list[int]:
        # Both replicas read the schedule as due before either claims it: the claim decides.
        ids = read_due(ctx, now)
        both_saw_it_due.wait()
        return ids

    monkeypatch.setattr(digests_due, "_due_ids", due_then_wait)
    a, b = replica(pg, "host-a:1"), replica(pg, "host-b:2")

    reports = in_threads([lambda: a.tick(MONDAY_9), lambda: b.tick(MONDAY_9)])

    assert sorted(r.digests_posted for r in reports) == [0, 1]
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    (run,) = runs(pg, f"digest:{schedule_id}")
    assert (run.fire_time, run.outcome) == (MONDAY_9, "posted")
    assert run.claimed_by in ("host-a:1", "host-b:2")
    (digest,) = digests(pg)
    assert digest.channel_id == CHANNEL
    assert schedule(pg, schedule_id).next_run_at == MONDAY_9 + timedelta(days=1)
    assert len(runs(pg, "reminders")) == 1  # the minute's reminder pass ran on one replica


def test_a_restart_inside_the_grace_time_sends_the_missed_digest_once(db: Database) -> None:
    schedule_id = project_with_schedule(db, at=MONDAY_9 - timedelta(hours=1))
    restarted = replica(db, "host-a:2", grace_minutes=60)  # was down at 09:00

    assert restarted.tick(MONDAY_9 + timedelta(minutes=45)).digests_posted == 1
    assert restarted.tick(MONDAY_9 + timedelta(minutes=46)).digests_posted == 0
    assert replica(db, "host-b:1").tick(MONDAY_9 + timedelta(minutes=47)).digests_posted == 0

    assert len(digests(db)) == 1
    row = schedule(db, schedule_id)
    assert row.last_sent_at == MONDAY_9 + timedelta(minutes=45)
    assert row.next_run_at == MONDAY_9 + timedelta(days=1)


def test_a_digest_missed_beyond_the_grace_time_is_skipped_and_logged(
    db: Database, caplog: pytest.LogCaptureFixture
) -> None:
    schedule_id = project_with_schedule(db, at=MONDAY_9 - timedelta(hours=1))
    restarted = replica(db, "host-a:2", grace_minutes=60)

    with caplog.at_level(logging.WARNING, logger="jobs.digests_due"):
        report = restarted.tick(MONDAY_9 + timedelta(minutes=61))

    assert report.digests_posted == 0 and digests(db) == []
    (record,) = [r for r in caplog.records if "missed digest" in r.getMessage()]
    assert CHANNEL in record.getMessage() and "skipped" in record.getMessage()
    row = schedule(db, schedule_id)
    assert row.next_run_at == MONDAY_9 + timedelta(days=1)
    assert row.last_sent_at is None  # the next digest still covers the missed one's window
    (run,) = runs(db, f"digest:{schedule_id}")
    assert run.outcome == "skipped: missed"

    # The next day's digest goes out as usual.
    assert restarted.tick(MONDAY_9 + timedelta(days=1)).digests_posted == 1


def test_a_schedule_changed_on_one_replica_is_followed_by_the_next_tick_of_another(
    db: Database,
) -> None:
    schedule_id = project_with_schedule(db, at=MONDAY_9 - timedelta(hours=2))
    other = replica(db, "host-b:1")
    half_past_seven = MONDAY_9 - timedelta(minutes=90)
    assert other.tick(half_past_seven).digests_posted == 0  # 09:00 is not due yet

    with db.session() as s:  # someone types `/mlops digest schedule "45 7 * * *"` elsewhere
        schedules.set_schedule(
            s, Actor(T, "U_ALICE"), CHANNEL, "45 7 * * *", "UTC", half_past_seven
        )

    assert other.tick(half_past_seven + timedelta(minutes=15)).digests_posted == 1
    assert len(digests(db)) == 1
    row = schedule(db, schedule_id)
    assert (row.cron, row.next_run_at) == (
        "45 7 * * *",
        half_past_seven + timedelta(days=1, minutes=15),
    )
    assert other.tick(MONDAY_9).digests_posted == 0  # the old 09:00 run is gone


def test_new_home_channels_get_default_schedules_at_most_once_a_minute(db: Database) -> None:
    scheduler = replica(db, "host-a:1")
    assert scheduler.tick(MONDAY_9).defaults_created == 0
    with db.session() as s:
        projects.create_project(s, Actor(T, "U_CREATOR"), "churn", None, CHANNEL)

    assert scheduler.tick(MONDAY_9 + timedelta(seconds=30)).defaults_created == 0
    assert scheduler.tick(MONDAY_9 + timedelta(seconds=60)).defaults_created == 1
    with db.session() as s:
        (row,) = s.scalars(select(DigestSchedule)).all()
    assert (row.channel_id, row.created_by) == (CHANNEL, "baton")


def test_one_failing_job_does_not_stop_the_others_or_the_delivery_kick(
    db: Database, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(ctx: JobContext, now: datetime) -> int:
        raise RuntimeError("digest query blew up")

    monkeypatch.setattr(digests_due, "run", broken)
    kicks: list[int] = []
    ctx = replica(db, "host-a:1").ctx
    scheduler = Scheduler(ctx, deliverer_kick=lambda: kicks.append(1))

    report = scheduler.tick(MONDAY_9)

    assert report.digests_posted == 0 and kicks == [1]
    assert len(runs(db, "reminders")) == 1
    assert any("scheduled digests failed" in r.getMessage() for r in caplog.records)


def test_started_scheduler_ticks_at_once_from_its_own_memory_job_store(db: Database) -> None:
    ticked = threading.Event()
    ctx = replica(db, "host-a:1").ctx
    scheduler = Scheduler(ctx, deliverer_kick=ticked.set, tick_seconds=3600)
    scheduler.start()
    try:
        assert ticked.wait(timeout=30), "the first tick runs at start-up"
        jobs = {job.id: job for job in scheduler._aps.get_jobs()}
        assert sorted(jobs) == ["metrics_pull", "tick"]
        assert all((j.max_instances, j.coalesce) == (1, True) for j in jobs.values())
        assert type(scheduler._aps._lookup_jobstore("default")).__name__ == "MemoryJobStore"
    finally:
        scheduler.stop()
    assert not scheduler._aps.running


def test_a_default_schedule_stays_quiet_once_its_projects_are_archived(db: Database) -> None:
    creator = Actor(T, "U_CREATOR")
    with db.session() as s:
        projects.create_project(s, creator, "churn", None, CHANNEL)
        projects.create_project(s, creator, "fraud", None, "C_FRAUD")
        schedules.ensure_default_schedules(s, "UTC", MONDAY_9 - timedelta(hours=1))
        schedules.set_schedule(s, creator, "C_FRAUD", WEEKDAYS_9, "UTC", MONDAY_9)
        projects.archive_project(s, creator, "churn")
        projects.archive_project(s, creator, "fraud")

    assert replica(db, "host-a:1").tick(MONDAY_9).digests_posted == 1
    (digest,) = digests(db)
    assert digest.channel_id == "C_FRAUD"  # set on purpose, so it keeps posting
    with db.session() as s:
        quiet = s.scalars(select(JobRun.outcome).where(JobRun.job.like("digest:%"))).all()
    assert sorted(quiet) == ["posted", "skipped: no live projects"]
