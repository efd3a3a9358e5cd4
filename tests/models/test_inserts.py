"""Insert-or-ignore, one helper for both databases: the first insert of a key lands, a second
one is ignored without an error, and RETURNING tells the two apart (rowcount cannot on
psycopg, which reports -1 for the ignored one)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from models import JobRun
from models.inserts import insert_or_ignore
from tests.conftest import Database

NINE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def insert_run(db: Database, replica: str) -> int | None:
    values = {"job": "example", "fire_time": NINE, "claimed_by": replica}
    with db.session() as s:
        landed = s.execute(
            insert_or_ignore(s, JobRun, values, ["job", "fire_time"]).returning(JobRun.id)
        )
        return landed.scalar_one_or_none()


def test_the_second_insert_of_a_key_is_ignored_and_returns_nothing(db: Database) -> None:
    first = insert_run(db, "host-a:1")
    second = insert_run(db, "host-b:1")

    assert first is not None and second is None
    with db.session() as s:
        assert s.execute(select(JobRun.id, JobRun.claimed_by)).all() == [(first, "host-a:1")]


def test_any_conflict_is_ignored_when_no_columns_are_named(db: Database) -> None:
    values = {"job": "example", "fire_time": NINE, "claimed_by": "host-a:1"}
    for _ in range(2):
        with db.session() as s:
            s.execute(insert_or_ignore(s, JobRun, values))
    with db.session() as s:
        assert len(s.scalars(select(JobRun)).all()) == 1
