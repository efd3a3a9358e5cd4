"""seed_once, the copy of a seeded project that most tests start from: the copy holds exactly
the rows the services wrote, later ids do not collide with it, and a seed is written through
the services again whenever a copy could differ (another frozen instant, rows already there)."""

from __future__ import annotations

from datetime import UTC, datetime

import time_machine
from sqlalchemy import select

from models import Project, RoleAssignment
from models.enums import Role
from tests.conftest import Database, seed_once
from tests.models.conftest import Seeded, seed_project

seed_calls: list[str] = []


def counted_seed(db: Database) -> Seeded:
    seed_calls.append(db.backend)
    return seed_project(db)


def test_a_copy_is_the_services_rows_and_later_writes_get_new_ids(db: Database) -> None:
    at = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)  # an instant no other seed here uses
    with time_machine.travel(at, tick=False):
        seed_calls.clear()
        first = seed_once(db, counted_seed)
        written = db.fingerprint()
        db.clear()
        copied = seed_once(db, counted_seed)
        assert seed_calls == [db.backend]  # the second came from the copy
        assert db.fingerprint() == written and copied is not first and copied.key == first.key
        copied.assign(Role.COMPLIANCE, "U_LATER")  # a write after the copy: a new, free id
        with db.session() as s:
            ids = s.scalars(select(RoleAssignment.id)).all()
        assert len(ids) == len(set(ids))


def test_a_seed_is_written_again_at_another_instant_or_on_rows_already_there(
    db: Database,
) -> None:
    seed_calls.clear()
    for day in (6, 7):
        db.clear()
        with time_machine.travel(datetime(2026, 5, day, 9, 0, tzinfo=UTC), tick=False):
            seed_once(db, counted_seed)
    # rows carry timestamps: a copy from the 6th is not the 7th's
    assert seed_calls == [db.backend] * 2
    with time_machine.travel(datetime(2026, 5, 4, 9, 0, tzinfo=UTC), tick=True):
        db.clear()
        seed_once(db, counted_seed)
        db.clear()
        seed_once(db, counted_seed)
    assert seed_calls == [db.backend] * 4  # a ticking clock: never copied
    with time_machine.travel(datetime(2026, 5, 8, 9, 0, tzinfo=UTC), tick=False):
        # rows written first, in a table the seed writes to: the seed runs, and is not kept
        db.clear()
        seed_project(db, key="other-model")
        seed_once(db, counted_seed)
        db.clear()
        seed_project(db, key="other-model")
        seed_once(db, counted_seed)
    assert seed_calls == [db.backend] * 6
    with db.session() as s:
        assert set(s.scalars(select(Project.key))) == {"churn-model", "other-model"}
