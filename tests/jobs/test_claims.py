"""The conflict paths of the run claims, each forced so the losing run really reaches its insert
or conditional update (the racing tests elsewhere stop the loser earlier, at a re-check):

- the (job, fire time) claim of a digest (models/services/job_runs.py),
- the reminders_sent key of a sign-off reminder (models/services/reminders.py),
- the escalated_at claim of an alert (models/services/alerts.py).

Deterministic: no sleeps, no luck. Where a rival must commit inside the loser's open transaction
it does so from a hook at the exact point. On PostgreSQL the rival uses its own connection and
commits; on SQLite a writer holds the database from BEGIN IMMEDIATE, so no other connection can
commit there at all: the rival writes through the loser's connection (a savepoint), which is
what the loser would see of a committed rival.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from bot.scheduler import Scheduler
from jobs import reminders
from jobs.context import JobContext
from models import Alert, AuditEvent, DigestSchedule, JobRun, OutboxMessage, ReminderSent
from models.policy import DEFAULT_POLICY
from models.schemas.base import Actor
from models.services import alerts, projects, schedules
from models.services import reminders as reminder_rules
from models.services.job_runs import claim
from tests.conftest import Clock, Database
from tests.jobs.test_reminders import open_handoff
from tests.models.conftest import seed_project
from tests.models.monitoring_steps import open_alert

T = "T_HOME"
CHANNEL = "C_ML"
NINE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def ctx(sessions: sessionmaker[Session], replica: str) -> JobContext:
    return JobContext(sessions=sessions, policy=DEFAULT_POLICY, replica=replica)


def rival_sessions(db: Database, loser: Session) -> sessionmaker[Session]:
    """Sessions for the rival replica that must commit while `loser` is mid-transaction."""
    if db.backend == "postgresql":
        return db.factory  # its own connection: commits for real, under the loser's feet
    return sessionmaker(bind=loser.connection(), join_transaction_mode="create_savepoint")


def after(target: Any, name: str, monkeypatch: pytest.MonkeyPatch, rival: Callable[[Any], None]):
    """Patch target.name so that, once, right after it returns, `rival(session)` runs."""
    real = getattr(target, name)
    fired: list[bool] = []

    def hooked(s: Session, *args: Any, **kw: Any) -> Any:
        result = real(s, *args, **kw)
        if not fired:
            fired.append(True)
            rival(s)
        return result

    monkeypatch.setattr(target, name, hooked)
    return fired


def count(db: Database, model: type, *where: Any) -> int:
    with db.session() as s:
        return len(s.scalars(select(model).where(*where)).all())


# -- the digest's (job, fire time) claim ---------------------------------------------------------


def test_a_digest_set_back_onto_a_posted_fire_time_is_not_posted_again(db: Database) -> None:
    """A web process whose clock runs behind sets the schedule again just before 09:00, after
    a replica with a faster clock posted 09:00: the schedule is due at 09:00 once more, the
    re-check passes, and only the claim's insert conflict keeps the digest to one."""
    creator = Actor(T, "U_CREATOR")
    with db.session() as s:
        projects.create_project(s, creator, "churn", "Churn", CHANNEL)
        schedule_id = schedules.set_schedule(s, creator, CHANNEL, "0 9 * * *", "UTC", NINE).id
    fast = Scheduler(ctx(db.factory, "host-fast:1"))
    assert fast.tick(NINE).digests_posted == 1

    behind = NINE - timedelta(seconds=2)  # the web process's clock
    with db.session() as s:
        again = schedules.set_schedule(s, creator, CHANNEL, "0 9 * * *", "UTC", behind)
    assert again.next_run_at == NINE  # due again, at the fire time already claimed

    slow = Scheduler(ctx(db.factory, "host-slow:2"))
    assert slow.tick(NINE + timedelta(seconds=1)).digests_posted == 0

    assert count(db, OutboxMessage, OutboxMessage.topic == "digest.post") == 1
    with db.session() as s:
        (run,) = s.scalars(select(JobRun).where(JobRun.job == f"digest:{schedule_id}")).all()
        row = s.get(DigestSchedule, schedule_id)
        assert row is not None
        # The loser moved past the claimed run: tomorrow's digest is not stuck behind it.
        assert row.next_run_at == NINE + timedelta(days=1)
        assert row.last_sent_at == NINE  # the window the winner started is kept
    assert (run.claimed_by, run.fire_time, run.outcome) == ("host-fast:1", NINE, "posted")
    assert slow.tick(NINE + timedelta(days=1)).digests_posted == 1


def test_of_two_concurrent_claims_the_one_that_waited_on_the_other_loses(pg: Database) -> None:
    """PostgreSQL: the loser's INSERT blocks on the winner's uncommitted row, and once the
    winner commits, ON CONFLICT DO NOTHING hands the loser no row."""
    winner, loser = pg.factory(), pg.factory()
    outcome: list[bool] = []
    try:
        winner.begin()
        assert claim(winner, "digest:1", NINE, "host-a:1")
        loser.begin()
        loser_pid = loser.scalar(text("SELECT pg_backend_pid()"))
        thread = threading.Thread(
            target=lambda: outcome.append(claim(loser, "digest:1", NINE, "b"))
        )
        thread.start()
        wait_until(lambda: waiting_on_a_lock(pg, loser_pid), "the loser's insert never waited")
        assert outcome == []  # still waiting for the winner
        winner.commit()
        thread.join(timeout=30)
        assert not thread.is_alive()
        loser.commit()
    finally:
        winner.close()
        loser.close()
    assert outcome == [False]
    with pg.session() as s:
        (run,) = s.scalars(select(JobRun)).all()
    assert run.claimed_by == "host-a:1"


def test_a_claim_after_a_committed_claim_loses_on_both_backends(db: Database) -> None:
    with db.session() as s:
        assert claim(s, "digest:7", NINE, "host-a:1")
    with db.session() as s:
        assert not claim(s, "digest:7", NINE, "host-b:1")
        assert claim(s, "digest:7", NINE + timedelta(days=1), "host-b:1")  # another fire time
    with db.session() as s:
        claimed = s.execute(select(JobRun.fire_time, JobRun.claimed_by).order_by(JobRun.id)).all()
    assert claimed == [(NINE, "host-a:1"), (NINE + timedelta(days=1), "host-b:1")]


def waiting_on_a_lock(pg: Database, pid: int) -> bool:
    with pg.engine.connect() as conn:
        return bool(
            conn.scalar(
                text("SELECT count(*) FROM pg_locks WHERE pid = :pid AND NOT granted"),
                {"pid": pid},
            )
        )


def wait_until(condition: Callable[[], bool], message: str, timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.01)  # polling a condition, bounded by the deadline


# -- the reminder's reminders_sent key ------------------------------------------------------------


def test_a_reminder_run_that_read_nothing_sent_yet_loses_at_the_insert(
    db: Database, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two overlapping runs (a slow one from the minute before): both read 'nothing sent yet';
    the rival sends and commits first; the loser's inserts conflict and it sends nothing."""
    view = open_handoff(db)
    now = view.due_at + timedelta(hours=1)
    rival_sent: list[int] = []

    def rival(loser: Session) -> None:
        rival_sent.append(reminders.run(ctx(rival_sessions(db, loser), "host-a:1"), now))

    fired = after(reminder_rules, "_already_sent", monkeypatch, rival)

    assert reminders.run(ctx(db.factory, "host-b:1"), now) == 0
    assert fired and rival_sent == [2]  # the two undecided leads, reminded by the rival
    assert count(db, ReminderSent) == 2
    assert count(db, OutboxMessage, OutboxMessage.topic == "signoff.reminder") == 2
    assert count(db, AuditEvent, AuditEvent.action == "signoff.reminded") == 2


# -- the alert's escalated_at claim ---------------------------------------------------------------


def test_an_escalation_run_that_read_the_alert_open_loses_at_the_claim(
    db: Database, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The loser read the alert as unescalated; another replica escalates it and commits; the
    loser's conditional update lands on nothing, so it queues no second message."""
    seed_project(db)
    alert_id = open_alert(db)
    now = clock.now() + timedelta(minutes=alerts.ESCALATION_MINUTES)
    rival_escalated: list[int] = []

    def rival(loser: Session) -> None:
        with rival_sessions(db, loser)() as s, s.begin():
            rival_escalated.append(alerts.escalate_due(s, now, alerts.ESCALATION_MINUTES))

    fired = after(alerts, "_architects", monkeypatch, rival)

    with db.session() as s:
        assert alerts.escalate_due(s, now + timedelta(seconds=5), alerts.ESCALATION_MINUTES) == 0
    assert fired and rival_escalated == [1]
    escalated = [
        m.data
        for m in db_rows(db, OutboxMessage)
        if m.topic == "alert.escalated" and m.data["alert_id"] == alert_id
    ]
    assert len(escalated) == 1
    assert count(db, AuditEvent, AuditEvent.action == "alert.escalated") == 1
    with db.session() as s:
        (when,) = s.scalars(select(Alert.escalated_at)).all()
    assert when == now  # the rival's claim stands


def db_rows(db: Database, model: type) -> list[Any]:
    with db.session() as s:
        return list(s.scalars(select(model)))
