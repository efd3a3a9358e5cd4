"""Acknowledgement latency through the real HTTP stack: Baton versus a bolt app that only acks.

Both run as `gunicorn` gthread subprocesses with the same workers and threads on loopback;
Baton talks to a FakeSlack in this process and to a freshly seeded database (1,000 projects,
each with an open hand-off awaiting two leads, so every Approve click is a first decision).
Requests are signed exactly as Slack signs them and timed from send to full response.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests
from sqlalchemy import func, select

from bench import memory, percentile, scaled, seed
from bench.burst import BURST, burst
from bench.servers import SECRET, THREADS, TOKEN, WORKERS, Server, bare_server, baton_server
from bot.db import make_engine
from models import SignOff
from tests.fakeslack import FakeSlack
from tests.slackbot.harness import SlackSigner

PROJECTS = scaled(1000, 200)
REQUESTS = scaled(300, 50)
WARMUP = scaled(20, 5)
CONCURRENCY = (1, 16)
KINDS = ("help", "status", "approve")


# -- what Slack sends --------------------------------------------------------------------------


class Requests:
    """Form bodies of /mlops commands and Approve clicks, as Slack posts them."""

    def __init__(self, fake: FakeSlack) -> None:
        self.response_url = fake.response_url("bench")
        self._triggers = itertools.count(1)

    def command(self, text: str, user: str = seed.APPROVER) -> str:
        return urlencode(
            {
                **{"token": "legacy", "team_id": seed.TEAM, "team_domain": "bench"},
                **{"channel_id": seed.CHANNEL, "channel_name": "bench", "user_id": user},
                **{"user_name": user.lower(), "command": "/mlops", "text": text},
                **{"api_app_id": "A1", "response_url": self.response_url},
                "trigger_id": f"trig-{next(self._triggers)}",
            }
        )

    def approve(self, handoff_id: int, user: str = seed.APPROVER) -> str:
        action = {"type": "button", "action_id": "handoff.approve", "value": str(handoff_id)}
        action |= {"block_id": f"handoff.decide.{handoff_id}", "action_ts": "1"}
        payload = {
            "type": "block_actions",
            "team": {"id": seed.TEAM, "domain": "bench"},
            "user": {"id": user, "team_id": seed.TEAM},
            "api_app_id": "A1",
            "trigger_id": f"trig-{next(self._triggers)}",
            "actions": [action],
            "channel": {"id": seed.CHANNEL},
            "container": {"type": "message", "channel_id": seed.CHANNEL, "message_ts": "1.0"},
            "message": {"ts": "1.0", "text": ""},
            "response_url": self.response_url,
        }
        return urlencode({"payload": json.dumps(payload)})


Bodies = Callable[[str, int], list[tuple[str, str | None]]]  # kind, n -> (body, expected text)


def measure(url: str, bodies: list[tuple[str, str | None]], concurrency: int) -> dict[str, Any]:
    """POST every body (signed just before the run) from `concurrency` sessions; times in ms."""
    signer, local, sessions, lock = SlackSigner(SECRET), threading.local(), [], threading.Lock()
    signed = [(body, signer.headers(body), expect) for body, expect in bodies]
    content = {"Content-Type": "application/x-www-form-urlencoded"}

    def one(item: tuple[str, dict[str, str], str | None]) -> tuple[float, bool]:
        body, headers, expect = item
        session = getattr(local, "session", None)
        if session is None:
            session = local.session = requests.Session()
            with lock:
                sessions.append(session)
        start = time.perf_counter()
        r = session.post(url, data=body.encode(), headers={**content, **headers}, timeout=30)
        elapsed = time.perf_counter() - start
        return elapsed, r.status_code == 200 and (expect is None or expect in r.text)

    try:
        with ThreadPoolExecutor(concurrency, thread_name_prefix="bench-client") as pool:
            results = list(pool.map(one, signed))
    finally:
        for session in sessions:
            session.close()
    times = [t * 1000 for t, _ in results]
    return {
        "n": len(times),
        "p50_ms": round(percentile(times, 0.5), 2),
        "p99_ms": round(percentile(times, 0.99), 2),
        "errors": sum(not ok for _, ok in results),
    }


def load(server: Server, bodies: Bodies, kinds: tuple[str, ...] = KINDS) -> dict[str, Any]:
    url = f"{server.url}/slack/events"
    out: dict[str, Any] = {}
    for kind in kinds:
        measure(url, bodies(kind, WARMUP), 4)
        out[kind] = {
            str(c): _measure_cpu(server, url, bodies(kind, REQUESTS), c) for c in CONCURRENCY
        }
    out["memory"] = memory.peak_rss(server.proc.pid)  # after the load, while it still runs
    out["burst"] = burst(server, bodies("status", BURST))  # after: the peak stays comparable
    return out


def _measure_cpu(
    server: Server, url: str, bodies: list[tuple[str, str | None]], c: int
) -> dict[str, Any]:
    """Latencies, and the server's own CPU time per request (what one GIL has to share)."""
    before = memory.cpu_seconds(server.proc.pid)
    result = measure(url, bodies, c)
    used = memory.cpu_seconds(server.proc.pid) - before
    return {**result, "server_cpu_ms_per_request": round(used * 1000 / len(bodies), 2)}


# -- targets -----------------------------------------------------------------------------------


def run_bare(fake: FakeSlack, tmp: Path, kinds: tuple[str, ...]) -> dict[str, Any]:
    slack = Requests(fake)

    def bodies(kind: str, n: int) -> list[tuple[str, str | None]]:
        if kind == "approve":
            return [(slack.approve(i + 1), None) for i in range(n)]
        text = "help" if kind == "help" else "status p-00001"
        return [(slack.command(text), None) for _ in range(n)]

    with bare_server(fake, tmp) as server:
        return load(server, bodies, kinds)


def run_baton(fake: FakeSlack, backend: str, tmp: Path, kinds: tuple[str, ...]) -> dict[str, Any]:
    slack, clicks = Requests(fake), WARMUP + REQUESTS * len(CONCURRENCY)
    with seed.database(backend) as url:
        handoffs = iter(seed.awaiting_approval(url, PROJECTS))
        keys = itertools.cycle(f"p-{i:05d}" for i in range(PROJECTS))
        assert clicks <= PROJECTS, "every Approve click needs its own open hand-off"

        def bodies(kind: str, n: int) -> list[tuple[str, str | None]]:
            if kind == "approve":
                return [(slack.approve(next(handoffs)), None) for _ in range(n)]
            if kind == "help":
                return [(slack.command("help"), "status") for _ in range(n)]
            return [(slack.command(f"status {k}"), k) for k in itertools.islice(keys, n)]

        with baton_server(fake, url, tmp, f"baton-{backend}") as server:
            result = load(server, bodies, kinds)
        engine = make_engine(url)
        with engine.connect() as conn:
            recorded = conn.scalar(select(func.count()).select_from(SignOff))
        engine.dispose()
    if "approve" in kinds:
        result["approvals"] = {"clicks": clicks, "recorded": recorded}
    return result


def ratios(baton: dict[str, Any], bare: dict[str, Any]) -> dict[str, Any]:
    return {
        kind: {
            c: {
                q: round(baton[kind][c][f"{q}_ms"] / bare[kind][c][f"{q}_ms"], 2)
                for q in ("p50", "p99")
            }
            for c in baton[kind]
        }
        for kind in KINDS
        if kind in baton
    }


def run(backends: list[str], tmp: Path, kinds: tuple[str, ...] = KINDS) -> dict[str, Any]:
    """Every kind's latency rows and the burst; kinds=() for the burst alone."""
    servers: dict[str, Any] = {}
    with FakeSlack(token=TOKEN, team_id=seed.TEAM) as fake:
        servers["bare"] = run_bare(fake, tmp, kinds)
        for backend in backends:
            servers[f"baton-{backend}"] = run_baton(fake, backend, tmp, kinds)
    return {
        "settings": {
            "workers": WORKERS,
            "threads": THREADS,
            "requests": REQUESTS,
            "warmup": WARMUP,
            "projects": PROJECTS,
            "concurrency": list(CONCURRENCY),
        },
        "servers": servers,
        "ratios": {
            name: ratios(result, servers["bare"])
            for name, result in servers.items()
            if name != "bare"
        },
    }
