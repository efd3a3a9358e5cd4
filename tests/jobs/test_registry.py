"""One list of jobs: every job module is in it, and the scheduler runs what it lists, claimed
once per period across replicas when the job asks for it."""

from __future__ import annotations

import ast
import inspect
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType

from sqlalchemy import select

import jobs
from bot.scheduler import Scheduler
from jobs.context import JobContext
from jobs.registry import DAY, JOBS, MINUTE, ON_DEMAND, Job
from models import JobRun
from models.policy import DEFAULT_POLICY
from tests.conftest import Database

NINE = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def modules_with_run() -> set[str]:
    """jobs/*.py that define a top-level `run`: the job modules, whatever the list says."""
    found = set()
    for path in Path(inspect.getfile(jobs)).parent.glob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        if any(isinstance(n, ast.FunctionDef) and n.name == "run" for n in tree.body):
            found.add(f"jobs.{path.stem}")
    return found


def test_every_job_module_is_listed_once_and_has_run_ctx_now() -> None:
    listed = [job.module.__name__ for job in JOBS] + [m.__name__ for m in ON_DEMAND]
    assert sorted(listed) == sorted(modules_with_run())
    assert len({job.name for job in JOBS}) == len(JOBS)
    for module in [job.module for job in JOBS] + list(ON_DEMAND):
        assert list(inspect.signature(module.run).parameters) == ["ctx", "now"], module


def test_claim_periods_start_on_the_utc_minute_and_day() -> None:
    late = datetime(2026, 3, 2, 23, 59, 59, 999, tzinfo=UTC)
    minutely, daily = Job("m", jobs, claim_every=MINUTE), Job("d", jobs, claim_every=DAY)
    assert minutely.period_start(late) == datetime(2026, 3, 2, 23, 59, tzinfo=UTC)
    assert daily.period_start(late) == datetime(2026, 3, 2, tzinfo=UTC)


def test_a_job_added_to_the_list_runs_on_the_tick_once_a_day_across_replicas(
    db: Database,
) -> None:
    calls: list[str] = []
    example = ModuleType("jobs.example")

    def run(ctx: JobContext, now: datetime) -> int:
        calls.append(ctx.replica)
        return 7

    example.run = run  # type: ignore[attr-defined]
    listed = (*JOBS, Job("example", example, claim_every=DAY))

    def replica(name: str) -> Scheduler:
        ctx = JobContext(sessions=db.factory, policy=DEFAULT_POLICY, replica=name)
        return Scheduler(ctx, jobs=listed)

    a, b = replica("host-a:1"), replica("host-b:1")
    assert a.tick(NINE)["example"] == 7
    assert b.tick(NINE + timedelta(minutes=1))["example"] == 0
    assert a.tick(NINE + timedelta(hours=14, minutes=59))["example"] == 0  # 23:59, same day
    assert b.tick(NINE + timedelta(days=1))["example"] == 7
    assert calls == ["host-a:1", "host-b:1"]
    with db.session() as s:
        claimed = s.execute(
            select(JobRun.fire_time, JobRun.claimed_by, JobRun.outcome)
            .where(JobRun.job == "example")
            .order_by(JobRun.fire_time)
        ).all()
    midnight = datetime(2026, 3, 2, tzinfo=UTC)
    assert [tuple(r) for r in claimed] == [
        (midnight, "host-a:1", "done: 7"),
        (midnight + DAY, "host-b:1", "done: 7"),
    ]


def test_a_claimed_job_that_fails_gives_its_period_back(db: Database) -> None:
    attempts: list[int] = []
    flaky = ModuleType("jobs.flaky")

    def run(ctx: JobContext, now: datetime) -> int:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("database went away")
        return 1

    flaky.run = run  # type: ignore[attr-defined]
    ctx = JobContext(sessions=db.factory, policy=DEFAULT_POLICY, replica="host-a:1")
    scheduler = Scheduler(ctx, jobs=(Job("flaky", flaky, claim_every=DAY),))

    assert scheduler.tick(NINE)["flaky"] == 0  # failed, logged
    assert scheduler.tick(NINE + timedelta(seconds=15))["flaky"] == 1  # retried the same day
    assert scheduler.tick(NINE + timedelta(seconds=30))["flaky"] == 0
    assert len(attempts) == 2
