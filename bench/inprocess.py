"""`python -m bench.inprocess [status|approve|help|home] [sqlite|postgresql] [--profile] [--sql]
[--no-deliver]` (`BENCH_INPROCESS_N`: requests timed, default 200): one
request's own cost, without the noise of a loaded machine. `home`: one App Home render
(bot/renderers.home_for) for the lead of every project and for someone with no role, the
median of 7 each.

Builds Baton in this process exactly as `baton serve` does (`assemble`), on a database seeded
as the latency benchmark seeds it, and sends N signed requests through its WSGI app (Flask's
test client: the same signature check, middleware and listeners, no sockets). Bolt's listener
pool is replaced by one that runs each listener at once on the request's thread, so one
request's whole work (and, for an Approve, the outbox delivery it causes: the deliverer runs
after each click) is on one thread, where CPU time, SQL statements and cProfile see it.
App Home publishes are throttled per person (bot/renderers.HOME_PUBLISH_SECONDS): what a burst
of clicks deferred is delivered after the last one, once that time has passed, and its CPU and
statements are added to the clicks', so the mean per click counts every publish they caused.
"""

from __future__ import annotations

import cProfile
import itertools
import os
import pstats
import statistics
import sys
import time
from concurrent.futures import Executor, Future
from typing import Any

from sqlalchemy import event

from bench import seed
from bench.latency import Requests
from bench.servers import SECRET, TOKEN
from bot.config import Settings
from bot.renderers import HOME_PUBLISH_SECONDS, home_for
from bot.server import Baton, assemble
from tests.fakeslack import FakeSlack
from tests.slackbot.harness import SlackSigner

PROJECTS, REQUESTS, WARMUP = 1000, 200, 20
REQUESTS = int(os.environ.get("BENCH_INPROCESS_N", REQUESTS))  # fewer for a quick look


class InlineExecutor(Executor):
    """Runs each submitted call at once, on the caller's thread."""

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future: Future[Any] = Future()
        try:
            future.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # handed to the future, as a pool would
            future.set_exception(exc)
        return future


def _bodies(kind: str, slack: Requests, handoffs: Any, keys: Any, n: int) -> list[str]:
    if kind == "approve":
        return [slack.approve(next(handoffs)) for _ in range(n)]
    if kind == "help":
        return [slack.command("help") for _ in range(n)]
    return [slack.command(f"status {next(keys)}") for _ in range(n)]


def _inline(baton: Baton) -> None:
    runner = baton.app._listener_runner  # bolt has no public setter
    runner.listener_executor = runner.lazy_listener_runner.executor = InlineExecutor()


def measure(
    baton: Baton, bodies: list[str], deliver: bool, profile: cProfile.Profile | None = None
) -> dict[str, Any]:
    """CPU ms and SQL statements per request (delivery included), over `bodies`."""
    client, signer = baton.web.test_client(), SlackSigner(SECRET)
    content = {"Content-Type": "application/x-www-form-urlencoded"}
    counts: list[int] = []
    sent = [0]

    last: list[str] = []

    def count(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        sent[0] += 1
        last.append(" ".join(statement.split())[:160])

    event.listen(baton.rt.engine, "before_cursor_execute", count)
    cpu: list[float] = []
    drained = {"cpu": 0.0, "statements": 0}
    try:
        for body in bodies:
            headers = {**content, **signer.headers(body)}
            sent[0] = 0
            last.clear()
            start = time.process_time()
            if profile:
                profile.enable()
            r = client.post("/slack/events", data=body, headers=headers)
            if deliver:
                baton.deliverer.deliver_due()  # what the click queued, as the deliverer would
            if profile:
                profile.disable()
            cpu.append(time.process_time() - start)
            counts.append(sent[0])
            assert r.status_code == 200, r.data
        if deliver:
            sent[0] = 0
            drained["cpu"] = _drain(baton, profile)
            drained["statements"] = sent[0]
    finally:
        event.remove(baton.rt.engine, "before_cursor_execute", count)
    n = len(bodies)
    return {
        "n": n,
        # Per click, with the deferred Home publishes the clicks caused shared among them.
        "cpu_ms_mean": round((sum(cpu) + drained["cpu"]) / n * 1000, 3),
        "cpu_ms_median": round(statistics.median(cpu) * 1000, 3),  # the click and what was due
        "drain_cpu_ms": round(drained["cpu"] * 1000, 3),
        "statements_mean": round((sum(counts) + drained["statements"]) / n, 2),
        "statements_max": max(counts),
        "last_statements": list(last),
    }


def _drain(baton: Baton, profile: cProfile.Profile | None = None) -> float:
    """CPU seconds to deliver what the throttle deferred. Real time passes (a sleep, not a
    time-machine jump): sent_at written in a jump would lie ahead of the clock afterwards."""
    time.sleep(HOME_PUBLISH_SECONDS + 0.1)
    start = time.process_time()
    if profile:
        profile.enable()
    while baton.deliverer.deliver_due():
        pass
    if profile:
        profile.disable()
    return time.process_time() - start


def home_renders(baton: Baton, users: dict[str, str], times: int = 7) -> dict[str, Any]:
    """Median CPU ms (and statements) of one App Home render for each of `users`."""
    found: dict[str, Any] = {}
    sent = [0]

    def count(*_args: Any) -> None:
        sent[0] += 1

    event.listen(baton.rt.engine, "before_cursor_execute", count)
    try:
        for name, user in users.items():
            cpu = []
            for _ in range(times + 1):  # the first warms caches, not counted
                sent[0] = 0
                start = time.process_time()
                with baton.rt.session() as s:
                    view = home_for(s, seed.TEAM, user, baton.rt.policy)
                cpu.append(time.process_time() - start)
            said = next(b["text"]["text"] for b in view["blocks"] if b["type"] == "header")
            found[name] = {
                "cpu_ms_median": round(statistics.median(cpu[1:]) * 1000, 3),
                "statements": sent[0],
                "header": said,
            }
    finally:
        event.remove(baton.rt.engine, "before_cursor_execute", count)
    return found


def run(kind: str, backend: str, profile: bool = False, deliver_too: bool = True) -> dict[str, Any]:
    with FakeSlack(token=TOKEN, team_id=seed.TEAM) as fake, seed.database(backend) as url:
        handoffs = iter(seed.awaiting_approval(url, PROJECTS))
        keys = itertools.cycle(f"p-{i:05d}" for i in range(PROJECTS))
        settings = Settings(
            slack_bot_token=TOKEN,
            slack_signing_secret=SECRET,
            slack_api_url=fake.base_url,
            baton_database_url=url,
            baton_scheduler="off",
            _env_file=None,  # type: ignore[call-arg]
        )
        baton = assemble(settings)
        _inline(baton)
        slack = Requests(fake)
        try:
            if kind == "home":
                return home_renders(baton, {"lead_of_all": seed.APPROVER, "no_role": "U_NOBODY"})
            deliver = kind == "approve" and deliver_too  # only a click queues card edits
            measure(baton, _bodies(kind, slack, handoffs, keys, WARMUP), deliver)
            prof = cProfile.Profile(time.process_time) if profile else None  # CPU, not waits
            result = measure(baton, _bodies(kind, slack, handoffs, keys, REQUESTS), deliver, prof)
        finally:
            baton.rt.engine.dispose()
    if prof:
        stats = pstats.Stats(prof).sort_stats("cumulative")
        stats.print_stats(45)
        stats.sort_stats("tottime").print_stats(25)
    return result


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    result = run(
        *(args or ["status", "sqlite"]),
        profile="--profile" in sys.argv,
        deliver_too="--no-deliver" not in sys.argv,  # the click's own transaction only
    )
    statements = result.pop("last_statements", [])
    print(result)
    if "--sql" in sys.argv:
        print("\n".join(statements))
