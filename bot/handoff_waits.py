"""Long polls on hand-offs without busy polling.

In this process, a commit that changed a hand-off or a sign-off wakes every waiter at once
(SQLAlchemy's after_commit). A change committed by another process or replica wakes nobody
here, so each waiter also re-reads its hand-off's version every RECHECK_SECONDS: one indexed
SELECT per waiter per second, answering within that second. A waiting request holds one
gunicorn (gthread) thread, so at most `limit` wait at once per process; more are refused.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from itertools import chain

from sqlalchemy import event
from sqlalchemy.orm import Session

from models.handoff import Handoff, SignOff

RECHECK_SECONDS = 1.0

_changed = threading.Condition()
_generation = 0  # bumped by every commit that touched a hand-off in this process


@event.listens_for(Session, "after_flush")
def _note_handoff_change(session: Session, _ctx: object) -> None:
    touched = chain(session.new, session.dirty, session.deleted)
    if any(isinstance(obj, Handoff | SignOff) for obj in touched):
        session.info["baton_handoff_changed"] = True


@event.listens_for(Session, "after_commit")
def _wake_waiters(session: Session) -> None:
    global _generation
    if session.info.pop("baton_handoff_changed", False):
        with _changed:
            _generation += 1
            _changed.notify_all()


@event.listens_for(Session, "after_rollback")
def _forget_handoff_change(session: Session) -> None:
    session.info.pop("baton_handoff_changed", None)


class TooManyWaiters(Exception):
    """Every waiting slot of this process is taken."""


class Waiters:
    def __init__(self, limit: int) -> None:
        self._slots = threading.BoundedSemaphore(limit) if limit > 0 else None

    def wait_for_change(self, read_version: Callable[[], int], seen: int, timeout: float) -> bool:
        """Block until `read_version()` differs from `seen` (True) or `timeout` passes (False)."""
        if self._slots is None or not self._slots.acquire(blocking=False):
            raise TooManyWaiters
        try:
            return _wait(read_version, seen, time.monotonic() + timeout)
        finally:
            self._slots.release()


def _wait(read_version: Callable[[], int], seen: int, deadline: float) -> bool:
    while True:
        with _changed:
            generation = _generation
        # Read after taking the generation: a commit in between bumps it, so it is not missed.
        if read_version() != seen:
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        with _changed:
            _changed.wait_for(
                lambda g=generation: _generation != g, timeout=min(RECHECK_SECONDS, remaining)
            )
