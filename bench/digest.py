"""build_digest at 100 / 1,000 / 10,000 projects (10 hand-offs each) on SQLite and PostgreSQL.

Each size gets a fresh database: 9 closed hand-offs per project over the past days and one
open, half signed. Timed: the median of 5 runs after one warm-up, each in its own
transaction; counted: the SQL statements one digest sends (flat means no per-project query).
"""

from __future__ import annotations

import statistics
import time
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, event, func, select

from bench import QUICK, seed
from bot.db import make_engine, make_session_factory, migrate, session_scope
from models import Handoff
from models.policy import DEFAULT_POLICY
from models.services.digest import build_digest

SIZES = (100, 1000) if QUICK else (100, 1000, 10000)
PER_PROJECT = 10
RUNS = 5
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _seed(engine: Engine, n: int) -> None:
    with session_scope(make_session_factory(engine)) as s:
        project_ids = seed.projects(s, n)
        seed.leads(s, project_ids)
        seed.history(s, project_ids, NOW, PER_PROJECT - 1)
        seed.first_signoffs(s, seed.open_handoffs(s, project_ids, NOW - timedelta(hours=60)))
        assert s.scalar(select(func.count()).select_from(Handoff)) == n * PER_PROJECT
    seed.analyze(engine)


def measure(engine: Engine, n: int) -> dict[str, Any]:
    factory = make_session_factory(engine)
    statements: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        times = []
        for _ in range(RUNS + 1):  # the first run warms caches and is not timed
            statements.clear()
            with session_scope(factory) as s:
                start = time.perf_counter()
                since = NOW - timedelta(days=3)
                view = build_digest(s, seed.TEAM, NOW, policy=DEFAULT_POLICY, since=since)
                times.append(time.perf_counter() - start)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    timed = [t * 1000 for t in times[1:]]
    assert view.total("open_handoffs") == n, "every project's open hand-off is in the digest"
    return {
        "projects": n,
        "handoffs": n * PER_PROJECT,
        "median_ms": round(statistics.median(timed), 1),
        "runs_ms": [round(t, 1) for t in timed],
        "statements": len(statements),
    }


def run(backends: list[str]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for backend in backends:
        rows = []
        for n in SIZES:
            with seed.database(backend) as url:
                engine = make_engine(url)
                try:
                    migrate(engine)
                    _seed(engine, n)
                    rows.append(measure(engine, n))
                finally:
                    engine.dispose()
        results[backend] = rows
    return results
