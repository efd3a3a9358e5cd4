"""Every scheduled job, in the order a tick runs them. Adding a job: its module (one public
`run(ctx, now) -> int` calling services) and one line in JOBS; bot/scheduler.py reads the list.

A job is claimed per period (`claim_every`) when each period's work must happen once across
replicas and the work itself does not already guarantee that; the digests and the alert
escalation keep their own once (a claim per fire time, a conditional update per alert).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from types import ModuleType

from jobs import (
    absence_expiry,
    default_schedules,
    digest,
    digests_due,
    escalation,
    metrics_pull,
    observations_prune,
    reminders,
    roster_check,
)
from jobs.context import JobContext

MINUTE, DAY, WEEK = timedelta(minutes=1), timedelta(days=1), timedelta(days=7)
QUARTER_HOUR = 15 * MINUTE


def always(ctx: JobContext) -> bool:
    return True


@dataclass(frozen=True)
class Job:
    name: str  # in the logs, and the job_runs key of its claims
    module: ModuleType  # its `run` is looked up at each call, so tests may replace it
    claim_every: timedelta | None = None  # once per period across replicas
    enabled: Callable[[JobContext], bool] = always  # off: not run, not even claimed
    own_thread: bool = False  # slow (network calls): its own interval, never delaying the tick

    def run(self, ctx: JobContext, now: datetime) -> int:
        count: int = self.module.run(ctx, now)
        return count

    @property
    def claims_kept(self) -> timedelta:
        """How long its claims stay in job_runs: thirty periods, and a day at least."""
        assert self.claim_every is not None
        return max(DAY, 30 * self.claim_every)

    def period_start(self, now: datetime) -> datetime:
        """The start of the claim period holding `now` (UTC minutes, UTC days)."""
        assert self.claim_every is not None
        step = self.claim_every.total_seconds()
        return datetime.fromtimestamp(now.timestamp() // step * step, UTC)


JOBS: tuple[Job, ...] = (
    Job("schedules", default_schedules, claim_every=MINUTE),
    Job("digests", digests_due),
    Job("reminders", reminders, claim_every=MINUTE),
    Job("alert escalation", escalation),
    Job(
        "observations_prune",
        observations_prune,
        claim_every=DAY,
        enabled=observations_prune.wanted,
    ),
    Job("metrics_pull", metrics_pull, own_thread=True),
    Job("roster_check", roster_check, claim_every=WEEK),
    Job("absence_expiry", absence_expiry, claim_every=QUARTER_HOUR),
)

# Jobs no tick runs: `baton digest` runs this one (every home channel's digest, now).
ON_DEMAND: tuple[ModuleType, ...] = (digest,)
