"""Racing clicks and replicas on PostgreSQL: row locks and unique indexes keep one outcome.

Each thread is one Slack request: its own session and transaction, started together at a
barrier. Whatever a thread raises is collected and asserted on, never swallowed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from models import AuditEvent, Handoff, OutboxMessage, SignOff
from models.enums import Decision, HandoffStatus, Role, Stage
from models.errors import Conflict
from models.policy import DEFAULT_POLICY
from models.schemas.base import Actor
from models.services import decisions, handoffs
from tests.conftest import Database
from tests.models.conftest import KEY, LEADS, T, packet_for, rows, seed_project

DS, DOM, ARCH = LEADS[Role.DATA_SCIENTIST], LEADS[Role.DOMAIN_EXPERT], LEADS[Role.ML_ARCHITECT]


def race(db: Database, calls: list[Callable[[Any], Any]]) -> tuple[list[Any], list[BaseException]]:
    """Run each call in its own thread and session, all released at once."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def run(call: Callable[[Any], Any]) -> None:
        try:
            barrier.wait(timeout=30)
            with db.session() as s:
                outcome = call(s)
            with lock:
                results.append(outcome)
        except BaseException as exc:
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not any(t.is_alive() for t in threads), "a racing thread never finished"
    return results, errors


def approve(user: str, handoff_id: int) -> Callable[[Any], Any]:
    return lambda s: decisions.decide(
        s, Actor(T, user), handoff_id, Decision.APPROVED, DEFAULT_POLICY
    )


def count(db: Database, model: type, *where: Any) -> int:
    return len(rows(db, model, *where))


def test_twenty_identical_clicks_record_one_sign_off(pg, clock):
    seeded = seed_project(pg)
    view = seeded.request()

    results, errors = race(pg, [approve(DOM, view.id)] * 20)

    assert errors == []
    assert sorted(r.changed for r in results) == [False] * 19 + [True]
    assert all(not r.advanced for r in results)
    (signoff,) = rows(pg, SignOff)
    assert (signoff.role, signoff.user_id, signoff.decision) == (
        Role.DOMAIN_EXPERT,
        DOM,
        Decision.APPROVED,
    )
    assert count(pg, AuditEvent, AuditEvent.action == "signoff.approved") == 1
    assert count(pg, OutboxMessage, OutboxMessage.topic == "handoff.updated") == 1
    (handoff,) = rows(pg, Handoff)
    assert (handoff.status, handoff.version) == (HandoffStatus.PENDING, view.version + 1)


def test_twenty_clicks_on_the_last_approval_advance_the_project_once(pg, clock):
    seeded = seed_project(pg)
    view = seeded.request()
    seeded.decide(DOM, view.id)

    results, errors = race(pg, [approve(ARCH, view.id)] * 20)

    assert errors == []
    assert sorted(r.advanced for r in results) == [False] * 19 + [True]
    assert all(r.handoff.status == HandoffStatus.APPROVED for r in results)
    assert count(pg, SignOff) == 2
    assert count(pg, AuditEvent, AuditEvent.action == "project.stage_changed") == 1
    assert count(pg, AuditEvent, AuditEvent.action == "handoff.approved") == 1
    assert count(pg, OutboxMessage, OutboxMessage.topic == "project.advanced") == 1
    assert seeded.stage() == Stage.DEVELOP


def test_the_last_two_leads_approving_together_both_count(pg, clock):
    for attempt in range(5):  # a lost update needs a lucky interleaving: give it a few
        seeded = seed_project(pg, key=f"race-{attempt}")
        seeded.advance_to(Stage.DEPLOY)
        view = seeded.request()  # deploy → monitor: software developer, devops, ML architect
        seeded.decide(LEADS[Role.SOFTWARE_DEVELOPER], view.id)

        results, errors = race(
            pg, [approve(LEADS[Role.DEVOPS_ENGINEER], view.id), approve(ARCH, view.id)]
        )

        assert errors == []
        assert sorted(r.advanced for r in results) == [False, True]
        assert seeded.stage() == Stage.MONITOR
        (handoff,) = rows(pg, Handoff, Handoff.id == view.id)
        assert handoff.status == HandoffStatus.APPROVED
        assert count(pg, SignOff, SignOff.handoff_id == view.id) == 3


def test_ten_simultaneous_requests_open_one_hand_off(pg, clock):
    seeded = seed_project(pg)
    packet = packet_for(Stage.MANAGE, Stage.DEVELOP)

    def request(user: str) -> Callable[[Any], Any]:
        return lambda s: handoffs.request_handoff(
            s, Actor(T, user), KEY, None, packet, DEFAULT_POLICY
        )

    requesters = [DS, "U_DS2", LEADS[Role.DATA_ENGINEER], "U_DE2", DOM] * 2
    results, errors = race(pg, [request(u) for u in requesters])

    assert len(results) == 1
    assert len(errors) == 9
    assert all(type(e) is Conflict for e in errors), errors
    assert all("already has an open hand-off" in e.message for e in errors)
    (handoff,) = rows(pg, Handoff)
    assert (handoff.id, handoff.status) == (results[0].id, HandoffStatus.PENDING)
    assert count(pg, AuditEvent, AuditEvent.action == "handoff.requested") == 1
    assert count(pg, OutboxMessage, OutboxMessage.topic == "handoff.requested") == 1
    assert seeded.card().open_handoff is not None
