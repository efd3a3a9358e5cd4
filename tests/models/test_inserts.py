"""Insert-or-ignore, one helper for both databases: the first insert of a key lands, a second
one is ignored without an error, and RETURNING tells the two apart (rowcount cannot on
psycopg, which reports -1 for the ignored one)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from models import JobRun, ReceivedEvent
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


def test_a_delivery_counts_once_whatever_its_source_and_length(db):
    """Slack's event ids and MLflow's delivery ids share one rule: the first receipt is True,
    every redelivery False; a key too long for the column is kept as its hash, still once."""
    from models.services import receipts

    long_key = "mlflow:" + "x" * 300
    with db.session() as s:
        firsts = [receipts.first_receipt(s, k, "T1") for k in ("Ev1", "mlflow:abc", long_key)]
    with db.session() as s:
        again = [receipts.first_receipt(s, k, "T1") for k in ("Ev1", "mlflow:abc", long_key)]
    with db.session() as s:
        stored = sorted(s.scalars(select(ReceivedEvent.event_id)))
    assert firsts == [True, True, True] and again == [False, False, False]
    assert len(stored) == 3 and all(len(k) <= receipts.KEY_MAX for k in stored)
    hashed = next(k for k in stored if k.startswith("mlflow:") and k != "mlflow:abc")
    assert hashed != long_key[:64]
