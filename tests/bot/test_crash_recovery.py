"""kill -9 while a decision's messages are in flight: seconds to recover, nothing lost, no
duplicate. A real `baton serve` (gunicorn) posts to the fake Slack, which applies the first post
and holds its answer, so the kill lands mid-flight every time, without timing guesses."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from bot.db import make_engine
from models.base import utcnow
from models.enums import OutboxStatus
from models.notifications import HomeRefresh
from models.outbox import OutboxMessage
from tests.bot.served import KEY, REQUESTER, Served, database
from tests.fakeslack import FakeSlack
from tests.slackbot.flow import PACKETS, card_messages, wait_for_modal
from tests.slackbot.harness import HOME, BotClient

# The server leases a claimed row for LEASE_SECONDS (BATON_OUTBOX_LEASE_SECONDS; 10 by
# default): a dead holder's rows are taken over that long after its last heartbeat.
LEASE_SECONDS = 2
RECOVERY_LIMIT_SECONDS = 15.0


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(token="xoxb-crash-test", team_id=HOME) as slack:
        yield slack


def _leased_for(db_url: str, row_id: int) -> float:
    """Seconds from now until the lease on `row_id` runs out (its next_attempt_at)."""
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            due = conn.scalar(
                select(OutboxMessage.next_attempt_at).where(OutboxMessage.id == row_id)
            )
    finally:
        engine.dispose()
    assert due is not None
    return (due.replace(tzinfo=None) - utcnow().replace(tzinfo=None)).total_seconds()


def _outbox(db_url: str) -> list[tuple[int, OutboxStatus, str]]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(select(OutboxMessage.id, OutboxMessage.status, OutboxMessage.topic))
            return sorted((int(i), OutboxStatus(s), str(t)) for i, s, t in rows)
    finally:
        engine.dispose()


def _all_sent(db_url: str, timeout: float) -> float | None:
    """Seconds until every outbox row is sent (polling the database), None if not in time."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        rows = _outbox(db_url)
        if rows and all(status == OutboxStatus.SENT for _, status, _ in rows):
            return time.monotonic() - start
        time.sleep(0.1)
    return None


def _accepted_posts(fake: FakeSlack) -> Counter[int]:
    """How many times Slack accepted a post of each outbox row (by the id in its metadata)."""
    return Counter(
        int(c.params["metadata"]["event_payload"]["outbox_id"])
        for c in fake.calls_to("chat.postMessage")
        if c.response and c.response.get("ok")
    )


def _request_handoff_mid_flight(bot: BotClient, fake: FakeSlack) -> tuple[threading.Event, int]:
    """The requester's decision queues the channel's card and a DM per required lead; Slack
    applies the first post and keeps its answer until released. Returns the release and the
    outbox id of the post in flight."""
    earlier = len(fake.calls_to("chat.postMessage"))
    release = fake.hold("chat.postMessage")
    opened = len(fake.calls_to("views.open"))
    assert bot.command(f"handoff {KEY}", user=REQUESTER).status_code == 200
    modal = wait_for_modal(bot, opened)
    assert bot.submit(modal, PACKETS["develop"], user=REQUESTER).status_code == 200
    [held] = fake.wait_for(
        lambda: [c for c in fake.calls_to("chat.postMessage")[earlier:] if c.response],
        timeout=15,
    )
    return release, int(held.params["metadata"]["event_payload"]["outbox_id"])


@pytest.mark.parametrize(
    ("backend", "killed"),
    [("sqlite", "server"), ("postgresql", "worker")],
)
def test_kill_9_mid_delivery_recovers_within_seconds_and_posts_each_message_once(
    tmp_path, fake, backend, killed
):
    lease = {"BATON_OUTBOX_LEASE_SECONDS": str(LEASE_SECONDS)}
    log = tmp_path / "serve.log"
    with database(backend, tmp_path) as db_url, Served(db_url, fake, log, env=lease) as srv:
        seeded = _all_sent(db_url, timeout=30)  # the roster's DMs of the seed
        assert seeded is not None, srv.output()
        bot = BotClient(baton=None, fake=fake, url=srv.url)  # type: ignore[arg-type]
        before = _accepted_posts(fake)
        release, in_flight = _request_handoff_mid_flight(bot, fake)
        # The in-flight row is leased for the configured seconds, not the default 10.
        assert 0 < _leased_for(db_url, in_flight) <= LEASE_SECONDS + 0.5
        killed_at = time.monotonic()
        if killed == "server":
            srv.kill9()
        else:
            os.kill(srv.worker_pid(), signal.SIGKILL)  # gunicorn's master starts a new one
        release.set()
        if killed == "server":
            srv.start()
        recovered = _all_sent(db_url, timeout=45)
        assert recovered is not None, srv.output()[-3000:]
        seconds = time.monotonic() - killed_at
        print(f"\n{backend}: kill -9 of the {killed} → every message sent after {seconds:.1f}s")
        posts, rows = _accepted_posts(fake) - before, _outbox(db_url)
    assert seconds < RECOVERY_LIMIT_SECONDS, f"recovered after {seconds:.1f}s"
    assert in_flight in posts
    assert set(posts.values()) == {1}, f"posted more than once: {posts}"
    # Every row that posts a message, once (App Home refreshes publish a view instead).
    posting = {row_id for row_id, _, topic in rows if topic != HomeRefresh.topic}
    assert set(posts) | set(before) == posting, "every row, once"
    assert len(card_messages(bot)) == 3  # the channel's card and a DM to each required lead
    assert fake.calls_to("conversations.history"), "the in-flight post was looked for"
