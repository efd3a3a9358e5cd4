"""Run claims: the first replica to insert (job, fire_time) runs it; the others skip.

Also where a claimed run's outcome is noted, and where claims that only deduplicate work
within a short period are forgotten once that period is long past.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, update
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


def release(s: Session, job: str, fire_time: datetime) -> None:
    """Give a claimed run back (its work failed), so the next tick may claim it again."""
    s.execute(delete(JobRun).where(JobRun.job == job, JobRun.fire_time == fire_time))


def record_outcome(s: Session, job: str, fire_time: datetime, outcome: str) -> None:
    s.execute(
        update(JobRun)
        .where(JobRun.job == job, JobRun.fire_time == fire_time)
        .values(outcome=outcome)
    )


def forget_claims(s: Session, jobs: Iterable[str], before: datetime) -> None:
    """Drop the claims of `jobs` older than `before`: noise once their period is over."""
    names = list(jobs)
    if names:
        s.execute(delete(JobRun).where(JobRun.job.in_(names), JobRun.fire_time < before))
