"""What one `/mlops status` costs the database, through the real app: the parser's look-up
and the card share one read-only unit of work, and a key seen before is not asked again."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from models.policy import DEFAULT_POLICY
from models.schemas.base import Actor
from models.services import handoffs
from tests.slackbot.flow import PACKETS, text_of
from tests.slackbot.harness import HOME


@contextmanager
def listener_statements(engine: Any) -> Iterator[list[str]]:
    """Statements sent from bolt's listener threads (bot/app.py names them), not the
    deliverer's or the test's own."""
    sent: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if threading.current_thread().name.startswith("baton-listener"):
            sent.append(" ".join(statement.split()).upper())

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def test_a_status_command_is_one_transaction_of_few_selects(bot, db, seeded):
    with db.session() as s:  # not through a command: no command has named the key yet
        ds = Actor(HOME, seeded.ds)
        handoffs.request_handoff(s, ds, seeded.key, None, PACKETS["develop"], DEFAULT_POLICY)

    with listener_statements(db.engine) as first:
        said = text_of(bot.reply(f"status {seeded.key}", user="UANY"))
    with listener_statements(db.engine) as again:
        said_again = text_of(bot.reply(f"status {seeded.key}", user="UANY"))

    assert "manage → develop" in said and said_again == said
    selects = [st for st in first if st.startswith("SELECT")]
    assert len(selects) == 6, selects  # does the key exist, then the card's five
    assert sum(st.startswith("BEGIN") for st in first) <= 1  # one unit of work (SQLite's)
    assert [st for st in again if st.startswith("SELECT")] == selects[1:]  # the key is known


def test_a_key_not_found_is_asked_again_next_time(bot, db, seeded):
    """Only keys that exist are remembered: one created since (here, or by another
    replica) is found at once."""
    assert "No project 'fraud'" in text_of(bot.reply("status fraud", user="UANY"))
    bot.reply("project create fraud Fraud", user=seeded.creator, channel="CFRAUD")
    assert "Fraud (fraud)" in text_of(bot.reply("status fraud", user="UANY"))
