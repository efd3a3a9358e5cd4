"""Outbox delivery under Slack's rate limit: 2,000 messages to 20 channels at 1 message/s each.

The FakeSlack answers chat.postMessage with 429 and Retry-After past one message per second
per channel, as Slack does. The real Deliverer runs on its background thread until every row
is sent. The floor is (messages per channel - 1) seconds: the first message to each channel
goes at once, each later one a second after the previous. Lost: expected messages never
posted; duplicated: the same (channel, text) accepted twice; out of order: a later step
posted before an earlier one in the same channel.
"""

from __future__ import annotations

import os
import statistics
import time
from collections import Counter, defaultdict
from itertools import pairwise
from typing import Any

from sqlalchemy import func, select

from bench import scaled, seed
from bot.config import Settings
from bot.db import make_engine, make_session_factory, migrate, session_scope
from bot.delivery import Deliverer
from bot.runtime import Runtime
from models.enums import OutboxStatus
from models.outbox import OutboxMessage
from tests.fakeslack import Call, FakeSlack

TOKEN = "xoxb-bench-token"
CHANNELS = 20
MESSAGES = scaled(2000, 200)
# The deliverer's idle wait. Production starts it with the default (5 s); 1 s is the finest
# that still matters against a 1 s Retry-After. BENCH_DELIVERY_POLL overrides it.
POLL_SECONDS = float(os.environ.get("BENCH_DELIVERY_POLL", "1.0"))
CHECK_EVERY = 0.5  # seconds between counts of sent rows


def _seed(url: str, channels: list[str]) -> str:
    engine = make_engine(url)
    try:
        migrate(engine)
        with session_scope(make_session_factory(engine)) as s:
            (project_id,) = seed.projects(s, 1)
            seed.advanced_messages(s, project_id, channels, MESSAGES)
    finally:
        engine.dispose()
    return "p-00000"


def _unsent(rt: Runtime) -> tuple[int, int]:
    """(rows not sent yet, rows given up on)."""
    with rt.session() as s:
        counts = dict(
            s.execute(
                select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
            ).all()
        )
    failed = counts.get(OutboxStatus.FAILED, 0)
    return sum(counts.values()) - counts.get(OutboxStatus.SENT, 0), failed


def _wait_until_sent(rt: Runtime, deadline_s: float) -> int:
    """Bounded: counts every CHECK_EVERY seconds until nothing is left or the deadline passes."""
    unsent = MESSAGES
    for _ in range(int(deadline_s / CHECK_EVERY)):
        unsent, failed = _unsent(rt)
        if unsent == failed:  # everything sent, or given up on
            break
        time.sleep(CHECK_EVERY)
    return unsent


def _step(call: Call) -> int:
    return int(str(call.params["text"]).rsplit("step-", 1)[1])


def _analyse(fake: FakeSlack, key: str, channels: list[str], started: float) -> dict[str, Any]:
    posts = fake.calls_to("chat.postMessage")
    accepted = [c for c in posts if c.status == 200 and (c.response or {}).get("ok")]
    seen = Counter((str(c.params["channel"]), str(c.params["text"])) for c in accepted)
    expected = {(channels[i % len(channels)], f"{key} moved to step-{i}") for i in range(MESSAGES)}
    by_channel: dict[str, list[Call]] = defaultdict(list)
    for call in accepted:
        by_channel[str(call.params["channel"])].append(call)
    gaps = [b.timestamp - a.timestamp for calls in by_channel.values() for a, b in pairwise(calls)]
    out_of_order = sum(
        _step(b) < _step(a) for calls in by_channel.values() for a, b in pairwise(calls)
    )
    last = max((c.timestamp for c in accepted), default=started)
    return {
        "total_s": round(last - started, 1),
        "lost": len(expected - set(seen)),
        "duplicated": sum(n - 1 for n in seen.values()),
        "out_of_order": out_of_order,
        "rate_limited_429": sum(c.status == 429 for c in posts),
        "gap_mean_s": round(statistics.mean(gaps), 2) if gaps else None,
        "gap_p90_s": round(statistics.quantiles(gaps, n=10)[-1], 2) if len(gaps) > 1 else None,
    }


def run() -> dict[str, Any]:
    channels = [f"C{n:02d}BENCH" for n in range(CHANNELS)]
    floor_s = float(MESSAGES // CHANNELS - 1)
    deadline_s = floor_s * 4 + 60  # the default 5 s poll would need about 5x the floor
    with FakeSlack(token=TOKEN, team_id=seed.TEAM) as fake, seed.database("sqlite") as url:
        fake.enforce_rate("chat.postMessage", 1.0)
        key = _seed(url, channels)
        settings = Settings(
            slack_bot_token=TOKEN,
            slack_api_url=fake.base_url,
            baton_database_url=url,
            _env_file=None,  # type: ignore[call-arg]
        )
        rt = Runtime.from_settings(settings)
        deliverer = Deliverer(rt)
        started = time.time()
        try:
            deliverer.start(poll_seconds=POLL_SECONDS)
            deliverer.kick()
            unsent = _wait_until_sent(rt, deadline_s)
        finally:
            deliverer.stop()
            rt.engine.dispose()
        result = _analyse(fake, key, channels, started)
    return {
        "messages": MESSAGES,
        "channels": CHANNELS,
        "poll_seconds": POLL_SECONDS,
        "database": "sqlite",
        "floor_s": floor_s,
        **result,
        "over_floor_pct": round((result["total_s"] / floor_s - 1) * 100, 1),
        "unsent_rows": unsent,
    }
