"""Overdue sign-offs: one reminder to each undecided lead past the SLA, one escalation in the
project channel past twice the SLA, whatever how often the job runs."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import event, select

from jobs import reminders
from jobs.context import JobContext
from models import AuditEvent, OutboxMessage, ReminderSent
from models.enums import Decision, Role
from models.policy import DEFAULT_POLICY
from models.schemas.base import Actor
from models.schemas.projects import HandoffView
from models.services import decisions, handoffs, projects, roster
from models.working_hours import WorkingHours
from tests.conftest import Clock, Database

T = "T_HOME"
CHANNEL = "C_ML"
DS, DOM, ARCH = "U_DS", "U_DOM", "U_ARCH"
LEADS = {Role.DATA_SCIENTIST: DS, Role.DOMAIN_EXPERT: DOM, Role.ML_ARCHITECT: ARCH}
PACKET = {
    "objective": "Predict churn 30 days ahead",
    "success_metric": "AUC >= 0.85 on holdout",
    "data_sources": "warehouse.customers",
    "target_date": "2026-04-01",
}
SLA = timedelta(hours=48)  # manage → develop in the default policy


# These tests are about the SLA clock; working hours are tested in
# tests/slackbot/test_reminders_people_act_on.py, so here every day is a working day.
EVERY_DAY = WorkingHours.parse("mon-sun 00:00-23:59")


def ctx(db: Database) -> JobContext:
    return JobContext(sessions=db.factory, policy=DEFAULT_POLICY, working_hours=EVERY_DAY)


def open_handoff(db: Database, key: str = "churn", channel: str = CHANNEL) -> HandoffView:
    """A project with the leads manage → develop needs, and its hand-off requested now."""
    creator = Actor(T, "U_CREATOR")
    with db.session() as s:
        projects.create_project(s, creator, key, key.capitalize(), channel)
        for role, user in LEADS.items():
            roster.assign_role(s, creator, key, role, user, lead=True)
    with db.session() as s:
        return handoffs.request_handoff(s, Actor(T, DS), key, None, PACKET, DEFAULT_POLICY)


def decide(db: Database, view: HandoffView, user: str, decision: Decision) -> None:
    reason = None if decision == Decision.APPROVED else "needs a holdout set"
    with db.session() as s:
        decisions.decide(s, Actor(T, user), view.id, decision, DEFAULT_POLICY, reason)


def queued(db: Database, topic: str) -> list[tuple[str | None, str | None, dict[str, Any]]]:
    with db.session() as s:
        rows = s.scalars(
            select(OutboxMessage).where(OutboxMessage.topic == topic).order_by(OutboxMessage.id)
        )
        return [(r.channel_id, r.user_id, r.data) for r in rows]


def audited(db: Database, action: str) -> list[dict[str, Any]]:
    with db.session() as s:
        rows = s.scalars(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)
        )
        return [{"actor": e.actor, "project": e.project_key, **e.detail} for e in rows]


def run_at(db: Database, when: datetime) -> int:
    return reminders.run(ctx(db), when)


def test_nothing_is_sent_before_the_sla_runs_out(db: Database, clock: Clock) -> None:
    view = open_handoff(db)
    assert run_at(db, view.due_at) == 0  # due, not yet past due
    assert queued(db, "signoff.reminder") == [] and audited(db, "signoff.reminded") == []


def test_each_undecided_lead_is_reminded_once(db: Database, clock: Clock) -> None:
    view = open_handoff(db)
    decide(db, view, DOM, Decision.APPROVED)  # decided roles are never reminded

    first = view.due_at + timedelta(hours=3, minutes=10)
    assert run_at(db, first) == 1
    for later in (first, first + timedelta(minutes=1), first + timedelta(hours=20)):
        assert run_at(db, later) == 0

    assert queued(db, "signoff.reminder") == [
        (None, ARCH, {"role": "ml_architect", "hours_overdue": 3})
    ]
    (entry,) = audited(db, "signoff.reminded")
    assert entry | {"handoff_id": view.id} == {
        "actor": "baton",
        "project": "churn",
        "handoff_id": view.id,
        "round": 1,
        "role": "ml_architect",
        "lead": ARCH,
        "hours_overdue": 3,
    }


def test_past_twice_the_sla_the_channel_hears_once_naming_the_architect(
    db: Database, clock: Clock
) -> None:
    view = open_handoff(db)
    assert run_at(db, view.due_at + timedelta(hours=1)) == 2  # both leads reminded
    twice = view.requested_at + 2 * SLA
    assert run_at(db, twice - timedelta(seconds=1)) == 0
    assert run_at(db, twice) == 2  # one escalation per waiting role
    assert run_at(db, twice + timedelta(hours=5)) == 0

    escalations = queued(db, "signoff.escalation")
    assert sorted(escalations, key=lambda e: e[2]["role"]) == [
        (CHANNEL, None, {"role": "domain_expert", "approver": DOM, "architect": ARCH}),
        (CHANNEL, None, {"role": "ml_architect", "approver": ARCH, "architect": ARCH}),
    ]
    assert {e["role"] for e in audited(db, "signoff.escalated")} == {
        "domain_expert",
        "ml_architect",
    }
    assert len(queued(db, "signoff.reminder")) == 2


def test_a_job_first_run_late_sends_the_reminder_and_the_escalation(
    db: Database, clock: Clock
) -> None:
    view = open_handoff(db)
    decide(db, view, ARCH, Decision.APPROVED)
    assert run_at(db, view.due_at + 3 * SLA) == 2
    assert [u for _, u, _ in queued(db, "signoff.reminder")] == [DOM]
    assert [d["role"] for _, _, d in queued(db, "signoff.escalation")] == ["domain_expert"]


def test_no_project_architect_lead_still_escalates(db: Database, clock: Clock) -> None:
    view = open_handoff(db)
    decide(db, view, ARCH, Decision.APPROVED)
    with db.session() as s:
        roster.remove_role(s, Actor(T, "U_CREATOR"), "churn", Role.ML_ARCHITECT, ARCH)
    assert run_at(db, view.requested_at + 2 * SLA) == 2
    (escalation,) = queued(db, "signoff.escalation")
    assert escalation[2] == {"role": "domain_expert", "approver": DOM, "architect": None}


def test_hand_offs_that_wait_on_nobody_get_nothing(db: Database, clock: Clock) -> None:
    changes = open_handoff(db, "churn")
    decide(db, changes, DOM, Decision.CHANGES_REQUESTED)  # waits on the requester now
    approved = open_handoff(db, "fraud", "C_FRAUD")
    decide(db, approved, DOM, Decision.APPROVED)
    decide(db, approved, ARCH, Decision.APPROVED)

    assert run_at(db, changes.due_at + 3 * SLA) == 0
    with db.session() as s:
        assert s.scalars(select(ReminderSent)).all() == []


def test_a_resubmitted_round_is_reminded_again_on_its_own_clock(db: Database, clock: Clock) -> None:
    view = open_handoff(db)
    decide(db, view, DOM, Decision.CHANGES_REQUESTED)
    clock.advance(hours=30)
    with db.session() as s:
        again = handoffs.submit_packet(s, Actor(T, DS), "churn", None, PACKET, DEFAULT_POLICY)
    assert again.round == 2 and again.due_at == clock.now() + SLA

    assert run_at(db, again.due_at + timedelta(minutes=1)) == 2
    # Twice the SLA counts from the resubmission, not from the first request.
    assert run_at(db, again.due_at + SLA - timedelta(minutes=1)) == 0
    assert run_at(db, again.due_at + SLA) == 2
    with db.session() as s:
        rounds = s.scalars(select(ReminderSent.round)).all()
    assert rounds == [2, 2, 2, 2]


def test_the_number_of_queries_does_not_grow_with_the_overdue_hand_offs(
    db: Database, clock: Clock
) -> None:
    def selects_for(keys: list[str]) -> int:
        db.clear()
        views = [open_handoff(db, key, f"C_{key.upper()}") for key in keys]
        statements: list[str] = []

        def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert run_at(db, views[0].due_at + timedelta(hours=1)) == 2 * len(keys)
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
        return sum(s.lstrip().upper().startswith("SELECT") for s in statements)

    assert selects_for(["churn"]) == selects_for(["churn", "fraud", "ranker", "search"])
