"""Non-Slack deliveries of the outbox: one registry, keyed by each row's `sink`.

A sink is registered for the notification class it delivers (models/notifications.py, a class
whose `sink` is not Slack) as a function `prepare(runtime, session, row, note) -> send`:
`prepare` reads what it needs inside the delivery transaction; `send()` then runs outside any
transaction (so a slow receiver never holds a database lock) and raises SinkFailed when it did
not get through. bot/delivery.py claims, orders (per `row.sink_target`), retries and backs off
these rows exactly as it does Slack's. Queue one with models.services.outbox.to_sink.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any

from sqlalchemy.orm import Session

from bot.runtime import Runtime
from models import notifications
from models.notifications import Notification
from models.outbox import OutboxMessage

Send = Callable[[], None]
Prepare = Callable[[Runtime, Session, OutboxMessage, Any], Send]

SINKS: dict[type[Notification], Prepare] = {}
# Modules that register a sink when imported; loaded on first use, so none is forgotten.
SINK_MODULES = ("bot.webhook_sink", "bot.mlflow_sink", "bot.workflow_sink")


class SinkFailed(Exception):
    """A delivery that did not get through. Transient unless `permanent`; `retry_after`
    (seconds) postpones the whole target, like Slack's 429."""

    def __init__(
        self, code: str, *, permanent: bool = False, retry_after: float | None = None
    ) -> None:
        super().__init__(code)
        self.code = code[:500]
        self.permanent = permanent
        self.retry_after = retry_after


def register(kind: type[Notification]) -> Callable[[Prepare], Prepare]:
    def add(prepare: Prepare) -> Prepare:
        SINKS[kind] = prepare
        return prepare

    return add


def load() -> dict[type[Notification], Prepare]:
    """Every sink, its module imported."""
    for module in SINK_MODULES:
        importlib.import_module(module)
    return SINKS


def prepare(rt: Runtime, s: Session, row: OutboxMessage) -> Send:
    """The send step of a non-Slack row; LookupError (the row fails) for an unknown sink."""
    note = notifications.read(row)
    found = SINKS.get(type(note)) or load().get(type(note))
    if found is None:
        raise LookupError(f"no outbox sink named {row.sink!r}")
    return found(rt, s, row, note)
