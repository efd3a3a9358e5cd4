"""Claiming a run: the first replica to insert (job, fire_time) runs it; the others skip."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from models.schedule import JobRun


def claim(s: Session, job: str, fire_time: datetime, replica: str) -> bool:
    """True for exactly one caller per (job, fire_time), across processes and replicas."""
    insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
    result = s.execute(
        insert(JobRun)
        .values(job=job[:100], fire_time=fire_time, claimed_by=replica[:100])
        .on_conflict_do_nothing(index_elements=["job", "fire_time"])
        .returning(JobRun.id)
    )
    # RETURNING, not rowcount: psycopg reports -1 for a conflicting insert, which is truthy.
    return result.scalar_one_or_none() is not None
