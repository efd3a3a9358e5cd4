"""The in-process scheduler: an APScheduler 3 tick that runs Baton's due work.

APScheduler's job stores must never be shared between processes (its FAQ: duplicate or missed
runs), so every process keeps the default in-memory store with a single interval job, "tick".
What is due lives in Baton's own tables, and each run is claimed by a (job, fire time) row, so
any number of replicas and gunicorn workers may tick at once and each digest and reminder
still goes out once.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import delete

from bot.runtime import Runtime
from jobs import digests_due, escalation, metrics_pull, reminders
from jobs.claims import claim
from jobs.context import JobContext
from models.base import utcnow
from models.schedule import JobRun
from models.services import schedules

log = logging.getLogger(__name__)

RECONCILE_EVERY = timedelta(minutes=1)
REMINDERS_JOB = "reminders"
CLAIMS_KEPT = timedelta(days=1)


def replica_id() -> str:
    """Who claimed a run: host and process, so a job_runs row points at one worker."""
    return f"{socket.gethostname()}:{os.getpid()}"


def job_context(rt: Runtime) -> JobContext:
    settings = rt.settings
    return JobContext(
        sessions=rt.sessions,
        policy=rt.policy,
        timezone=settings.baton_timezone,
        replica=replica_id(),
        digest_grace_seconds=settings.baton_digest_grace_minutes * 60,
        alert_escalation_minutes=settings.baton_alert_escalation_minutes,
        metric_sources=rt.metric_sources or settings.metric_sources(),
    )


@dataclass(frozen=True)
class TickReport:
    """What one tick did in this process (another replica may have done the rest)."""

    defaults_created: int = 0
    digests_posted: int = 0
    reminders_queued: int = 0
    alerts_escalated: int = 0


class Scheduler:
    def __init__(
        self,
        ctx: JobContext,
        deliverer_kick: Callable[[], None] | None = None,
        tick_seconds: float = 15,
    ) -> None:
        self.ctx = ctx
        self._kick = deliverer_kick
        self._tick_seconds = tick_seconds
        self._last_reconcile: datetime | None = None
        # The default MemoryJobStore: this process's own, never shared (see the module doc).
        self._aps = BackgroundScheduler(timezone=UTC)

    def start(self) -> None:
        self._aps.add_job(
            self._tick_now,
            IntervalTrigger(seconds=self._tick_seconds, timezone=UTC),
            id="tick",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(1, int(self._tick_seconds)),
            next_run_time=utcnow(),  # at start-up too: catch up on digests missed while down
            replace_existing=True,
        )
        # Metric sources can be slow (a timeout each): their own job, so ticks are never late.
        self._aps.add_job(
            self._pull_now,
            IntervalTrigger(seconds=self._tick_seconds, timezone=UTC),
            id="metrics_pull",
            max_instances=1,
            coalesce=True,
            replace_existing=True,
        )
        self._aps.start()
        log.info("scheduler started on %s, ticking every %gs", self.ctx.replica, self._tick_seconds)

    def stop(self) -> None:
        if self._aps.running:
            self._aps.shutdown(wait=True)

    def _tick_now(self) -> None:
        self.tick(utcnow())

    def _pull_now(self) -> None:
        recorded = self._guarded("metric pull", lambda: metrics_pull.run(self.ctx, utcnow()))
        if recorded and self._kick is not None:
            self._guarded("delivery kick", self._kick_deliverer)

    def tick(self, now: datetime) -> TickReport:
        """One pass over everything due at `now`; each part fails alone and is logged."""
        report = TickReport(
            defaults_created=self._guarded("reconcile", lambda: self._reconcile(now)),
            digests_posted=self._guarded("digests", lambda: digests_due.run(self.ctx, now)),
            reminders_queued=self._guarded("reminders", lambda: self._reminders(now)),
            alerts_escalated=self._guarded(
                "alert escalation", lambda: escalation.run(self.ctx, now)
            ),
        )
        if self._kick is not None:  # what the jobs queued goes out now, not at the next poll
            self._guarded("delivery kick", self._kick_deliverer)
        return report

    def _kick_deliverer(self) -> int:
        assert self._kick is not None
        self._kick()
        return 0

    def _guarded(self, what: str, step: Callable[[], int]) -> int:
        try:
            return step()
        except Exception:  # the tick must outlive a database outage or one bad row
            log.exception("scheduled %s failed; retried on the next tick", what)
            return 0

    def _reconcile(self, now: datetime) -> int:
        """Default schedules for new home channels, at most once a minute per process."""
        if self._last_reconcile is not None and now - self._last_reconcile < RECONCILE_EVERY:
            return 0
        with self.ctx.session() as s:
            created = schedules.ensure_default_schedules(s, self.ctx.timezone, now)
            # Reminder claims only dedupe work within a minute; old ones are noise.
            s.execute(
                delete(JobRun).where(
                    JobRun.job == REMINDERS_JOB, JobRun.fire_time < now - CLAIMS_KEPT
                )
            )
        self._last_reconcile = now
        return created

    def _reminders(self, now: datetime) -> int:
        """Claimed per minute so replicas do not all do the same work; the reminders_sent key,
        not this claim, is what keeps each reminder to one."""
        minute = now.replace(second=0, microsecond=0)
        with self.ctx.session() as s:
            won = claim(s, REMINDERS_JOB, minute, self.ctx.replica)
        return reminders.run(self.ctx, now) if won else 0
