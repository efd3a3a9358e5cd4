"""Claiming a run: the first replica to insert (job, fire_time) runs it; the others skip."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from models.inserts import insert_or_ignore
from models.schedule import JobRun


def claim(s: Session, job: str, fire_time: datetime, replica: str) -> bool:
    """True for exactly one caller per (job, fire_time), across processes and replicas."""
    values = {"job": job[:100], "fire_time": fire_time, "claimed_by": replica[:100]}
    landed = s.execute(
        insert_or_ignore(s, JobRun, values, ["job", "fire_time"]).returning(JobRun.id)
    )
    return landed.scalar_one_or_none() is not None
