"""Scheduled digests: every schedule whose next run has come is claimed, posted once, advanced.

Any number of replicas may run this at the same moment. Each run is claimed by its
(schedule, fire time) key, so the replica whose insert loses skips it; a digest missed while
no replica was up is still sent if it is at most `ctx.digest_grace_seconds` late.
"""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy.orm import Session

from jobs.context import JobContext
from models.schedule import DigestSchedule
from models.services import schedules
from models.services.digest_post import DigestTarget, post_digest
from models.services.job_runs import claim, record_outcome

log = logging.getLogger(__name__)


def run(ctx: JobContext, now: datetime) -> int:
    """Post every due digest; returns how many this replica posted."""
    posted = 0
    for schedule_id in _due_ids(ctx, now):
        try:
            posted += _run_one(ctx, schedule_id, now)
        except Exception:  # one broken schedule must not starve the others; it stays due
            log.exception("digest schedule %s failed; retried on the next tick", schedule_id)
    return posted


def _due_ids(ctx: JobContext, now: datetime) -> list[int]:
    with ctx.session() as s:
        return [view.id for view in schedules.due_schedules(s, now)]


def _run_one(ctx: JobContext, schedule_id: int, now: datetime) -> int:
    """One transaction: the claim, the queued digest and the advance commit together or not
    at all, so a crash in between leaves the run unclaimed for the next tick."""
    with ctx.session() as s:
        schedule = schedules.locked_schedule(s, schedule_id)
        if schedule is None or schedule.next_run_at > now:
            return 0  # removed, or another replica already ran and advanced it
        fire_time = schedule.next_run_at
        job = f"digest:{schedule.id}"
        if not claim(s, job, fire_time, ctx.replica):
            # Another replica posted this fire time already; it is due again only because the
            # schedule was set back onto it (by a process whose clock runs behind, or at the
            # fire time itself). Move past it, or the schedule would stay stuck here for good.
            schedules.advance(s, schedule, fire_time, now, sent=False)
            return 0
        if (now - fire_time).total_seconds() > ctx.digest_grace_seconds:
            _skip_missed(s, schedule, job, now, ctx.digest_grace_seconds)
            return 0
        if schedules.is_orphaned_default(s, schedule):
            schedules.advance(s, schedule, fire_time, now, sent=False)
            record_outcome(s, job, fire_time, "skipped: no live projects")
            return 0
        target = DigestTarget(schedule.team_id, schedule.channel_id)
        post_digest(s, target, now, ctx.policy, scheduled=True)
        schedules.advance(s, schedule, fire_time, now, sent=True)
        record_outcome(s, job, fire_time, "posted")
        return 1


def _skip_missed(s: Session, schedule: DigestSchedule, job: str, now: datetime, grace: int) -> None:
    fire_time = schedule.next_run_at
    log.warning(
        "missed digest for channel %s (team %s) due at %s, %d min late (grace %d min): skipped",
        schedule.channel_id,
        schedule.team_id,
        fire_time.isoformat(),
        (now - fire_time).total_seconds() // 60,
        grace // 60,
    )
    schedules.advance(s, schedule, fire_time, now, sent=False)
    record_outcome(s, job, fire_time, "skipped: missed")
