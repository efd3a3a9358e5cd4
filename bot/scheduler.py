"""The in-process scheduler: an APScheduler 3 tick that runs Baton's due work.

APScheduler's job stores must never be shared between processes (its FAQ: duplicate or missed
runs), so every process keeps the default in-memory store with a single interval job, "tick",
plus one per slow job. What is due lives in Baton's own tables, and each run is claimed by a
(job, fire time) row, so any number of replicas and gunicorn workers may tick at once and each
digest and reminder still goes out once. The jobs themselves are listed in jobs/registry.py.
"""

from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.interval import IntervalTrigger

from bot.names import profile_lookup
from bot.runtime import Runtime
from jobs.context import JobContext
from jobs.registry import JOBS, Job
from models.base import utcnow
from models.services.job_runs import claim, forget_claims, record_outcome, release

log = logging.getLogger(__name__)


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
        observation_retention_days=settings.baton_observation_retention_days,
        people=profile_lookup(rt.client, rt.session),
        working_hours=settings.working_hours(),
    )


@dataclass(frozen=True)
class TickReport:
    """What one tick did in this process (another replica may have done the rest): the count
    each job returned, by job name; 0 for a job that was not due, not won or failed."""

    counts: Mapping[str, int] = field(default_factory=dict)

    def __getitem__(self, job: str) -> int:
        return self.counts.get(job, 0)

    @property
    def defaults_created(self) -> int:
        return self["schedules"]

    @property
    def digests_posted(self) -> int:
        return self["digests"]

    @property
    def reminders_queued(self) -> int:
        return self["reminders"]

    @property
    def alerts_escalated(self) -> int:
        return self["alert escalation"]


class Scheduler:
    def __init__(
        self,
        ctx: JobContext,
        deliverer_kick: Callable[[], None] | None = None,
        tick_seconds: float = 15,
        jobs: tuple[Job, ...] = JOBS,
    ) -> None:
        self.ctx = ctx
        self._kick = deliverer_kick
        self._tick_seconds = tick_seconds
        self._ticked = [job for job in jobs if not job.own_thread]
        self._alone = [job for job in jobs if job.own_thread]
        # The default MemoryJobStore: this process's own, never shared (see the module doc).
        self._aps = BackgroundScheduler(timezone=UTC)

    def start(self) -> None:
        every = IntervalTrigger(seconds=self._tick_seconds, timezone=UTC)
        self._aps.add_job(
            lambda: self.tick(utcnow()),
            every,
            id="tick",
            max_instances=1,
            coalesce=True,
            misfire_grace_time=max(1, int(self._tick_seconds)),
            next_run_time=utcnow(),  # at start-up too: catch up on digests missed while down
            replace_existing=True,
        )
        for job in self._alone:  # slow ones (a timeout each) never make the tick late
            self._aps.add_job(
                self._run_alone,
                every,
                args=[job],
                id=job.name,
                max_instances=1,
                coalesce=True,
                replace_existing=True,
            )
        self._aps.start()
        log.info("scheduler started on %s, ticking every %gs", self.ctx.replica, self._tick_seconds)

    def stop(self) -> None:
        if self._aps.running:
            self._aps.shutdown(wait=True)

    def tick(self, now: datetime) -> TickReport:
        """One pass over every ticked job due at `now`; each fails alone and is logged."""
        report = TickReport({job.name: self._guarded(job, now) for job in self._ticked})
        self._kick_deliverer()  # what the jobs queued goes out now, not at the next poll
        return report

    def _run_alone(self, job: Job) -> None:
        if self._guarded(job, utcnow()):
            self._kick_deliverer()

    def _kick_deliverer(self) -> None:
        if self._kick is None:
            return
        try:
            self._kick()
        except Exception:
            log.exception("scheduled delivery kick failed; retried on the next tick")

    def _guarded(self, job: Job, now: datetime) -> int:
        try:
            return self._run(job, now) if job.enabled(self.ctx) else 0
        except Exception:  # the tick must outlive a database outage or one bad row
            log.exception("scheduled %s failed; retried on the next tick", job.name)
            return 0

    def _run(self, job: Job, now: datetime) -> int:
        if job.claim_every is None:
            return job.run(self.ctx, now)
        period = job.period_start(now)
        with self.ctx.session() as s:
            if not claim(s, job.name, period, self.ctx.replica):
                return 0  # another replica (or an earlier tick here) has this period
            forget_claims(s, [job.name], now - job.claims_kept)
        try:
            count = job.run(self.ctx, now)
        except Exception:
            with self.ctx.session() as s:  # failed: the next tick may try this period again
                release(s, job.name, period)
            raise
        with self.ctx.session() as s:
            record_outcome(s, job.name, period, f"done: {count}")
        return count
