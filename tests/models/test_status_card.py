"""The status card's read model (models/services/status_card.py): the same card the ORM
services make, in a fixed, small number of statements whatever the project holds."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event

from models.enums import Decision, Stage
from models.policy import DEFAULT_POLICY
from models.schemas.base import Actor
from models.schemas.digest import StatusView
from models.services import absences, digest, projects
from models.signers import AWAY
from tests.conftest import Clock, Database
from tests.models.conftest import KEY, Seeded, T, seed_project
from tests.models.monitoring_steps import add, record

DELEGATE = "U_DELEGATE"


def test_the_card_is_the_one_the_orm_services_make(db: Database, seeded: Seeded, clock: Clock):
    seeded.advance()  # manage -> develop approved: a lead time
    clock.advance(hours=5)
    add(db)  # a monitor with an open alert
    record(db, 0.7, now=clock.now())
    view = seeded.request()  # develop -> deploy: one role decided, one lead away
    decided, pending = view.checklist[0], view.checklist[1]
    assert decided.signer is not None and pending.lead is not None
    seeded.decide(decided.signer, view.id, Decision.CHANGES_REQUESTED, "more evaluation")
    with db.session() as s:
        away = Actor(T, pending.lead)
        absences.go_away(s, away, clock.now().date(), DELEGATE, None, clock.now(), seeded.policy)

    with db.session() as s:
        status = digest.project_status(s, T, KEY, seeded.policy, clock.now())
        card = projects.project_card(s, T, KEY, seeded.policy)
        whole = digest.build_digest(s, T, clock.now(), policy=seeded.policy, project_key=KEY)

    assert card.open_handoff is not None and status.card.open_handoff is not None
    assert status.card.open_handoff.packet and status.card == card
    lines = {line.role: line for line in status.card.open_handoff.checklist}
    assert lines[decided.role].state == Decision.CHANGES_REQUESTED
    assert lines[decided.role].reason == "more evaluation"
    assert (lines[pending.role].standing_in, lines[pending.role].signer) == (AWAY, DELEGATE)
    assert status.monitors == whole.monitors and status.monitors[0].alert == "open"
    assert status.lead_times == whole.lead_times and status.lead_times[0].count == 1


def test_an_archived_project_shows_its_card_without_monitors_or_lead_times(
    db: Database, seeded: Seeded, clock: Clock
):
    seeded.advance()
    add(db)
    with db.session() as s:
        projects.archive_project(s, Actor(T, "U_CREATOR"), KEY)
        status = digest.project_status(s, T, KEY, seeded.policy, clock.now())
        card = projects.project_card(s, T, KEY, seeded.policy)
    assert status.card == card and status.card.project.stage == Stage.ARCHIVED
    assert status.card.gap is None and status.card.next_stages == []
    assert status.monitors == status.lead_times == []


def test_a_card_costs_five_selects_however_much_its_project_holds(db: Database, clock: Clock):
    small = seed_project(db, key="small")
    large = seed_project(db, key="large")
    for i in range(12):
        add(db, metric=f"m{i}", key="large")
        record(db, 0.1, metric=f"m{i}", key="large", now=clock.now())  # 12 open alerts
    for _ in range(2):
        large.advance()  # two transitions' lead times
    for seeded in (small, large):
        view = seeded.request()
        seeded.decide(view.checklist[0].signer or "", view.id)

    cheap, small_card = _selects(db, "small", clock)
    costly, large_card = _selects(db, "large", clock)

    assert cheap == costly == 5, (cheap, costly)  # roster, hand-off, away, monitors, lead times
    assert len(large_card.monitors) == 12 and len(large_card.lead_times) == 2
    assert small_card.monitors == [] and small_card.lead_times == []
    assert large_card.card.open_handoff is not None
    assert large_card.card.open_handoff.checklist[0].state == Decision.APPROVED


def _selects(db: Database, key: str, clock: Clock) -> tuple[int, StatusView]:
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        with db.session() as s:
            status = digest.project_status(s, T, key, DEFAULT_POLICY, clock.now())
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    return sum(st.lstrip().upper().startswith("SELECT") for st in statements), status
