"""Outbox → Slack: claim due rows, send each in order per channel, record what happened.

Requests only queue rows; a commit that queued any wakes this deliverer; sending happens on its own thread with
its own client (no sleeping retry handlers), so a slow or rate-limited Slack never holds up an
acknowledgement. A 429 postpones that channel's queue by Retry-After; 5xx and network errors
back off exponentially with jitter; permanent errors give up with the reason recorded.

A claimed row is leased for a few seconds to its deliverer, which renews the lease from a
heartbeat thread while it works: a deliverer killed mid-send costs seconds, not minutes. A row
whose last post may have reached Slack (the process died, the answer timed out) is looked for
in the conversation's history, by the outbox id its metadata carries, before it is posted again.
"""

from __future__ import annotations

import logging
import os
import random
import secrets
import socket
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import bindparam, event, func, or_, select, update
from sqlalchemy.orm import Session

from bot import sinks
from bot.runtime import Runtime
from bot.sending import Plan, Post, SendFailed, Sent, execute, plan_for
from bot.slack import make_client
from bot.slack_errors import (
    PERMANENT_ERRORS,
    error_code,
    outcome_unknown,
    retry_after,
    transient,
)
from models.base import utcnow
from models.enums import OutboxStatus
from models.monitor import Alert
from models.notifications import HomeRefresh
from models.outbox import SLACK_SINK, OutboxMessage
from models.workspace import MessageRef

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 10  # for errors that are neither known permanent nor an outage
BATCH = 100
# A row left 'sending' by a dead deliverer is taken over this long after its last heartbeat
# (BATON_OUTBOX_LEASE_SECONDS; this is its default); the heartbeat beats 4 times per lease.
LEASE = timedelta(seconds=10)
HEARTBEATS_PER_LEASE = 4
# Where a row goes: a channel, a user for a direct message, or a sink's target (bot/sinks.py).
# Order is kept per target, except for these topics (see `_ordered`).
UNORDERED_TOPICS = (HomeRefresh.topic,)
outbox_target = func.coalesce(
    OutboxMessage.channel_id, OutboxMessage.user_id, OutboxMessage.sink_target
)


# Live deliverers, woken after any commit that queued outbox rows on their engine: requests
# that queue nothing (help, status) start no delivery pass.
_DELIVERERS: weakref.WeakSet[Deliverer] = weakref.WeakSet()


@event.listens_for(Session, "after_flush")
def _note_queued(session: Session, _ctx: object) -> None:
    if any(isinstance(obj, OutboxMessage) for obj in session.new):
        session.info["baton_outbox_queued"] = True


@event.listens_for(Session, "after_commit")
def _wake_deliverers(session: Session) -> None:
    if not session.info.pop("baton_outbox_queued", False):
        return
    for deliverer in list(_DELIVERERS):
        if deliverer.rt.engine is session.get_bind():
            deliverer.kick()


@event.listens_for(Session, "after_rollback")
def _forget_queued(session: Session) -> None:
    session.info.pop("baton_outbox_queued", None)


class Deliverer:
    def __init__(self, runtime: Runtime, client: WebClient | None = None) -> None:
        self.rt = runtime
        _DELIVERERS.add(self)
        self.client = client or make_client(runtime.settings, rate_limit_retries=False)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._nonce = secrets.token_hex(4)
        self.lease = timedelta(seconds=runtime.settings.baton_outbox_lease_seconds)

    @property
    def holder(self) -> str:
        """Who holds a leased row: per process (gunicorn forks one Deliverer into each worker)."""
        return f"{socket.gethostname()[:40]}:{os.getpid()}:{self._nonce}"

    # -- background loop -------------------------------------------------------------------
    def start(self, poll_seconds: float = 5.0) -> None:
        if self._thread is None:
            self._stop.clear()
            self._thread = threading.Thread(
                target=self._loop, args=(poll_seconds,), name="baton-delivery", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None

    def kick(self) -> None:
        self._wake.set()

    def _loop(self, poll_seconds: float) -> None:
        wait = 0.0
        while not self._stop.is_set():
            self._wake.wait(wait)
            self._wake.clear()
            try:
                while self.deliver_due() and not self._stop.is_set():
                    pass
                # Sleep until the next row falls due (a Retry-After ending), not a fixed poll.
                wait = min(poll_seconds, self.seconds_until_next_due())
            except Exception:  # the loop must outlive any one bad row or outage
                log.exception("outbox delivery pass failed; will retry")
                wait = poll_seconds

    def seconds_until_next_due(self) -> float:
        with self.rt.session() as s:
            due = s.scalar(
                select(func.min(OutboxMessage.next_attempt_at)).where(
                    OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING))
                )
            )
        if due is None:
            return float("inf")
        return max(0.05, (due - utcnow()).total_seconds())

    # -- one pass --------------------------------------------------------------------------
    def deliver_due(self) -> int:
        """Try every due row once, oldest first; returns how many were tried."""
        with self._lock:  # one pass at a time here; others skip-lock
            ids = self._claim(utcnow())
            if not ids:  # an idle pass starts no heartbeat thread
                return 0
            with self._heartbeat():  # its first beat is a quarter of the lease in
                held: set[str] = set()
                for row_id in ids:
                    self._deliver_one(row_id, held)
            return len(ids)

    @contextmanager
    def _heartbeat(self) -> Iterator[None]:
        """Renew the lease of every row this deliverer holds while a pass runs."""
        done = threading.Event()

        def beat() -> None:
            while not done.wait(self.lease.total_seconds() / HEARTBEATS_PER_LEASE):
                try:
                    self.renew_leases()
                except Exception:  # a database blip: the next beat tries again
                    log.warning("outbox lease renewal failed", exc_info=True)

        threading.Thread(target=beat, name="baton-delivery-heartbeat", daemon=True).start()
        try:
            yield
        finally:
            done.set()

    def renew_leases(self) -> int:
        with self.rt.session() as s:
            result = s.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.status == OutboxStatus.SENDING,
                    OutboxMessage.lease_holder == self.holder,
                )
                .values(next_attempt_at=utcnow() + self.lease)
                .execution_options(synchronize_session=False)
            )
            return int(getattr(result, "rowcount", 0) or 0)

    def _claim(self, now: datetime) -> list[int]:
        with self.rt.session() as s:
            waiting = _first_waiting_per_target(s, now)
            rows = s.scalars(_DUE, {"now": now}).all()
            # Never overtake an earlier message to the same place that is waiting to retry.
            claimed = [
                r for r in rows if not _ordered(r) or waiting.get(_target(r), r.id + 1) > r.id
            ]
            for row in claimed:
                row.status, row.next_attempt_at = OutboxStatus.SENDING, now + self.lease
                row.lease_holder = self.holder
            return [r.id for r in claimed]

    def _deliver_one(self, row_id: int, held: set[str]) -> None:
        with self.rt.session() as s:
            row = s.get(OutboxMessage, row_id)
            assert row is not None
            target = _target(row)
            if target in held and _ordered(row):  # an earlier one just failed: keep order
                row.status, row.next_attempt_at = OutboxStatus.PENDING, _held_until(s, target)
                return
            try:
                plan: Plan | sinks.Send = (
                    plan_for(s, row, self.rt.policy, self.rt.admins)
                    if row.sink == SLACK_SINK
                    else sinks.prepare(self.rt, s, row)
                )
            except Exception as exc:  # unrenderable: retrying will not help
                log.exception("outbox %s cannot be rendered", row_id)
                row.status, row.last_error = OutboxStatus.FAILED, f"render: {exc}"[:500]
                return
            if isinstance(plan, Plan) and plan.defer_seconds is not None:
                row.status = OutboxStatus.PENDING
                row.next_attempt_at = utcnow() + timedelta(seconds=plan.defer_seconds)
                return
            if isinstance(plan, Plan):
                plan.outbox_id, plan.look_since = row.id, row.attempt_started_at
                if not plan.calls and not plan.look_since:
                    _sent_without_calls(row)  # every copy current: no second transaction
                    return
                if any(isinstance(call, Post) for call in plan.calls) and not plan.look_since:
                    row.attempt_started_at = utcnow()  # committed before the post leaves
        self._send_and_record(row_id, plan, target, held)

    def _send_and_record(
        self, row_id: int, plan: Plan | sinks.Send, target: str, held: set[str]
    ) -> None:
        error: BaseException | None = None
        unsettled = False  # a post may have reached Slack: keep looking before posting again
        try:
            sent = execute(self.client, plan) if isinstance(plan, Plan) else _sink_send(plan)
        except SendFailed as failed:
            sent, error = failed.sent, failed.cause
            unsettled = failed.looking or outcome_unknown(error)
        with self.rt.session() as s:
            row = s.get(OutboxMessage, row_id)
            assert row is not None
            if row.status != OutboxStatus.SENDING or row.lease_holder != self.holder:
                # Our lease ran out and another deliverer took the row: it looks for this post.
                log.warning("outbox %s: lease lost while sending; left to its new holder", row_id)
                return
            _record_sent(s, row, sent)
            row.attempts += 1
            if not unsettled:
                row.attempt_started_at = None
            if error is None:
                row.status, row.sent_at, row.last_error = OutboxStatus.SENT, utcnow(), None
            else:
                self._failed(s, row, error, target, held)

    def _failed(
        self, s: Session, row: OutboxMessage, error: BaseException, target: str, held: set[str]
    ) -> None:
        wait = _hold_seconds(error)
        if wait is not None:
            until = utcnow() + timedelta(seconds=wait)
            _postpone_target(s, target, until)
            row.status, row.next_attempt_at = OutboxStatus.PENDING, until
            row.last_error = f"rate_limited ({wait:g}s)"
            held.add(target)
            return
        code = _error_code(error)
        permanent = isinstance(error, sinks.SinkFailed) and error.permanent
        if (
            permanent
            or code in PERMANENT_ERRORS
            or (row.attempts >= MAX_ATTEMPTS and not _transient(error))
        ):
            row.status, row.last_error = OutboxStatus.FAILED, code
            log.warning("outbox %s (%s to %s) gave up: %s", row.id, row.topic, target, code)
            return
        delay = min(600.0, 2.0**row.attempts) * (0.5 + random.random())
        row.status, row.last_error = OutboxStatus.PENDING, code
        row.next_attempt_at = utcnow() + timedelta(seconds=delay)
        if _ordered(row):
            held.add(target)


def _sent_without_calls(row: OutboxMessage) -> None:
    """What `_send_and_record` writes for a plan that calls nothing and so cannot fail, but
    sent_at stays NULL: nothing reached Slack (App Home's throttle counts only real publishes
    by it, bot/renderers.py)."""
    row.attempts += 1
    row.status, row.last_error = OutboxStatus.SENT, None


def _target(row: OutboxMessage) -> str:
    return row.channel_id or row.user_id or row.sink_target or ""


def _ordered(row: OutboxMessage) -> bool:
    """Whether the row keeps its place in its target's order. A Home publish has none relative
    to the person's DMs (it replaces a view, it posts nothing), so one deferred by App Home's
    throttle or retrying holds back none of them, and none holds it back."""
    return row.topic not in UNORDERED_TOPICS


def _sink_send(send: sinks.Send) -> Sent:
    try:
        send()
    except Exception as exc:  # SinkFailed says how; anything else is treated as transient
        raise SendFailed(Sent(), exc) from exc
    return Sent()


# Built once: every pass, idle or not, runs these two (composing costs more than running).
_DUE = (
    select(OutboxMessage)
    .where(
        or_(
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.status == OutboxStatus.SENDING,  # lease expired
        ),
        OutboxMessage.next_attempt_at <= bindparam("now"),
    )
    .order_by(OutboxMessage.id)
    .limit(BATCH)
    .with_for_update(skip_locked=True)
)
_FIRST_WAITING = (
    select(outbox_target, func.min(OutboxMessage.id))
    .where(
        OutboxMessage.status == OutboxStatus.PENDING,
        OutboxMessage.next_attempt_at > bindparam("now"),
        OutboxMessage.topic.not_in(UNORDERED_TOPICS),
    )
    .group_by(outbox_target)
)


def _first_waiting_per_target(s: Session, now: datetime) -> dict[str, int]:
    return {str(t): int(i) for t, i in s.execute(_FIRST_WAITING, {"now": now})}


def _held_until(s: Session, target: str) -> datetime:
    latest = s.scalar(
        select(func.max(OutboxMessage.next_attempt_at)).where(
            outbox_target == target,
            OutboxMessage.status == OutboxStatus.PENDING,
            OutboxMessage.topic.not_in(UNORDERED_TOPICS),
        )
    )
    return latest or utcnow()


def _postpone_target(s: Session, target: str, until: datetime) -> None:
    s.execute(
        update(OutboxMessage)
        .where(outbox_target == target, OutboxMessage.status == OutboxStatus.PENDING)
        .values(next_attempt_at=until)
        .execution_options(synchronize_session="fetch")
    )


def _record_sent(s: Session, row: OutboxMessage, sent: Sent) -> None:
    for post, channel, ts in sent.posted:
        if post.alert_id is not None:
            _record_alert_message(s, post.alert_id, channel, ts)
        if post.handoff_id is not None:
            s.add(
                MessageRef(
                    team_id=row.team_id,
                    handoff_id=post.handoff_id,
                    channel_id=channel,
                    ts=ts,
                    rendered_version=post.version,
                )
            )
    for upd in sent.updated:
        ref = s.get(MessageRef, upd.ref_id) if upd.ref_id is not None else None
        if ref is not None and ref.rendered_version < upd.version:
            ref.rendered_version = upd.version


def _record_alert_message(s: Session, alert_id: int, channel: str, ts: str) -> None:
    """Where the alert was posted, so its resolution and escalation reply in its thread."""
    alert = s.get(Alert, alert_id)
    if alert is not None and alert.message_ts is None:
        alert.channel_id, alert.message_ts = channel, ts


# Slack's failures are judged in bot/slack_errors.py; a sink says how it failed itself.
def _hold_seconds(error: BaseException) -> float | None:
    """Seconds to hold the whole target for (Slack's 429, or a sink's), else None."""
    if isinstance(error, sinks.SinkFailed):
        return None if error.retry_after is None else max(1.0, error.retry_after)
    if isinstance(error, SlackApiError) and error.response.status_code == 429:
        return retry_after(error)
    return None


def _transient(error: BaseException) -> bool:
    if isinstance(error, sinks.SinkFailed):
        return not error.permanent
    return transient(error)


def _error_code(error: BaseException) -> str:
    return error.code if isinstance(error, sinks.SinkFailed) else error_code(error)
