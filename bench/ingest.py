"""POST /api/v1/metrics with a batch of 1,000 observations, through `baton serve`.

The same server stack as the latency benchmark (gunicorn gthread subprocess, a fresh seeded
database) with one monitor on each of 100 projects. Two batch shapes: 1,000 values measured
at one time (a pipeline's snapshot: 10 per monitor) and 1,000 values each at its own time
(a back-fill: each time is recorded apart). Timed from send to the full answer; the median of
5 after one warm-up; every observation is checked to be in the database afterwards.
"""

from __future__ import annotations

import json
import statistics
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import func, select

from bench import seed
from bench.servers import TOKEN, baton_server
from bot.db import make_engine, make_session_factory, migrate, session_scope
from models import Observation
from models.services import tokens
from tests.fakeslack import FakeSlack

PROJECTS, BATCH, RUNS = 100, 1000, 5
START = datetime(2026, 3, 1, tzinfo=UTC)


def _batch(shape: str, run: int) -> dict[str, Any]:
    observations = []
    for n in range(BATCH):
        item: dict[str, Any] = {"project": f"p-{n % PROJECTS:05d}", "metric": "auc"}
        item["value"] = 0.9 + (n % 7) / 1000
        at = (
            START
            + timedelta(hours=run)
            + (timedelta(seconds=n) if shape == "distinct" else timedelta())
        )
        item["observed_at"] = at.isoformat()
        observations.append(item)
    return {"observations": observations}


def _seed(url: str) -> str:
    engine = make_engine(url)
    migrate(engine)
    with session_scope(make_session_factory(engine)) as s:
        ids = seed.projects(s, PROJECTS)
        seed.leads(s, ids)
        seed.monitors(s, ids, "auc", 0.5)
        token, _ = tokens.create_token(s, seed.TEAM, "bench")
    engine.dispose()
    return token


def _count(url: str) -> int:
    engine = make_engine(url)
    with engine.connect() as conn:
        found = conn.scalar(select(func.count()).select_from(Observation))
    engine.dispose()
    return int(found or 0)


def _time_shape(
    http: requests.Session, url: str, headers: dict[str, str], shape: str, first: int
) -> dict[str, Any]:
    times = []
    for n in range(RUNS + 1):  # the first warms up and is not timed
        body = json.dumps(_batch(shape, first + n)).encode()
        start = time.perf_counter()
        answer = http.post(f"{url}/api/v1/metrics", data=body, headers=headers, timeout=120)
        times.append((time.perf_counter() - start) * 1000)
        assert answer.status_code == 200, answer.text[:500]
        assert answer.json()["accepted"] == BATCH, answer.text[:500]
    timed = times[1:]
    return {
        "shape": shape,
        "median_ms": round(statistics.median(timed), 1),
        "runs_ms": [round(t, 1) for t in timed],
    }


def run(backends: list[str], tmp: Path) -> dict[str, Any]:
    results: dict[str, Any] = {}
    shapes = ("one time", "distinct")
    with FakeSlack(token=TOKEN, team_id=seed.TEAM) as fake:
        for backend in backends:
            with seed.database(backend) as url:
                token = _seed(url)
                headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
                with (
                    baton_server(fake, url, tmp, f"ingest-{backend}") as server,
                    requests.Session() as http,
                ):
                    rows = [
                        _time_shape(http, server.url, headers, s, i * (RUNS + 1))
                        for i, s in enumerate(shapes)
                    ]
                posted = len(shapes) * (RUNS + 1) * BATCH
                results[backend] = {"batches": rows, "posted": posted, "recorded": _count(url)}
    return results
