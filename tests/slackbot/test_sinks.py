"""Non-Slack outbox sinks: same claim, per-target order, retries and backoff as Slack rows."""

from __future__ import annotations

from collections.abc import Iterator
from typing import ClassVar

import pytest
from sqlalchemy import select

from bot import sinks
from models.enums import OutboxStatus
from models.notifications import Notification
from models.outbox import OutboxMessage
from models.services import outbox
from tests.slackbot.harness import HOME

SINK = "test-sink"


class Numbered(Notification):
    """A test sink's notification: a number, sent in order per target."""

    topic: ClassVar[str] = "test.event"
    sink: ClassVar[str] = SINK
    n: int


class Lost(Notification):
    """A notification whose sink nobody registered."""

    topic: ClassVar[str] = "test.lost"
    sink: ClassVar[str] = "nowhere"
    n: int


class Recorder:
    """A sink that records what it was asked to send, failing on demand."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, int]] = []
        self.failures: dict[str, list[sinks.SinkFailed]] = {}  # by target, raised in turn

    def prepare(self, rt, s, row: OutboxMessage, note: Numbered) -> sinks.Send:
        target, n = str(row.sink_target), note.n

        def send() -> None:
            if self.failures.get(target):
                raise self.failures[target].pop(0)
            self.sent.append((target, n))

        return send


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    rec = Recorder()
    sinks.SINKS[Numbered] = rec.prepare
    yield rec
    del sinks.SINKS[Numbered]


def _queue(db, target: str, numbers: range) -> None:
    with db.session() as s:
        for n in numbers:
            outbox.to_sink(s, HOME, target, Numbered(n=n))


def _rows(db) -> list[tuple[str | None, str, str | None, int]]:
    with db.session() as s:
        rows = s.scalars(
            select(OutboxMessage).where(OutboxMessage.sink == SINK).order_by(OutboxMessage.id)
        )
        return [(r.sink_target, r.status.value, r.last_error, r.attempts) for r in rows]


def test_sink_rows_are_delivered_in_order_per_target_and_never_reach_slack(
    bot, slack, db, recorder
):
    _queue(db, "a", range(1, 4))
    _queue(db, "b", range(1, 3))
    bot.deliver()
    assert [n for t, n in recorder.sent if t == f"{SINK}:a"] == [1, 2, 3]
    assert [n for t, n in recorder.sent if t == f"{SINK}:b"] == [1, 2]
    assert {status for _, status, _, _ in _rows(db)} == {"sent"}
    assert slack.calls_to("chat.postMessage") == []


def test_a_transient_failure_holds_its_target_backs_off_then_delivers_once(
    clock, bot, db, recorder
):
    _queue(db, "a", range(1, 4))
    _queue(db, "b", range(1, 2))
    recorder.failures[f"{SINK}:a"] = [sinks.SinkFailed("http_503"), sinks.SinkFailed("http_502")]
    bot.deliver()
    assert recorder.sent == [(f"{SINK}:b", 1)], "the other target is not held up"
    assert _rows(db)[0] == (f"{SINK}:a", "pending", "http_503", 1)
    for _ in range(4):
        clock.advance(minutes=1)
        bot.deliver()
    assert [n for t, n in recorder.sent if t == f"{SINK}:a"] == [1, 2, 3]
    assert [n for t, n in recorder.sent if t == f"{SINK}:b"] == [1]
    assert {status for _, status, _, _ in _rows(db)} == {"sent"}


def test_retry_after_postpones_the_target(clock, bot, db, recorder):
    _queue(db, "a", range(1, 3))
    recorder.failures[f"{SINK}:a"] = [sinks.SinkFailed("http_429", retry_after=30)]
    bot.deliver()
    clock.advance(seconds=29)
    bot.deliver()
    assert recorder.sent == [], "Retry-After is honoured"
    clock.advance(seconds=2)
    bot.deliver()
    assert recorder.sent == [(f"{SINK}:a", 1), (f"{SINK}:a", 2)]


def test_a_permanent_failure_gives_up_with_its_reason(clock, bot, db, recorder):
    _queue(db, "a", range(1, 2))
    recorder.failures[f"{SINK}:a"] = [sinks.SinkFailed("http_410", permanent=True)]
    bot.deliver()
    clock.advance(hours=1)
    assert bot.deliver() == 0
    assert _rows(db) == [(f"{SINK}:a", "failed", "http_410", 1)]


def test_a_row_for_an_unknown_sink_fails_without_blocking_others(bot, db, recorder):
    with db.session() as s:
        outbox.to_sink(s, HOME, "x", Lost(n=0))
    _queue(db, "a", range(1, 2))
    bot.deliver()
    with db.session() as s:
        lost = s.scalars(select(OutboxMessage).where(OutboxMessage.sink == "nowhere")).one()
    assert lost.status == OutboxStatus.FAILED
    assert "no outbox sink named 'nowhere'" in (lost.last_error or "")
    assert recorder.sent == [(f"{SINK}:a", 1)]
