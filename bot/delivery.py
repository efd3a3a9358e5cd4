"""Outbox → Slack. Rows are rendered from current state at send time and marked sent or retried.

Requests only queue rows and `kick()` this deliverer; sending happens on its own thread, so a
slow or rate-limited Slack never holds up an acknowledgement.
"""

from __future__ import annotations

import logging
import random
import threading
from datetime import timedelta
from typing import Any

from slack_sdk.errors import SlackApiError
from sqlalchemy import select

from bot.blocks import handoff as handoff_blocks
from bot.renderers import RENDERERS
from bot.runtime import Runtime
from models.base import utcnow
from models.enums import OutboxStatus
from models.outbox import OutboxMessage
from models.services.views import view_by_id
from models.workspace import MessageRef

log = logging.getLogger(__name__)

PERMANENT_ERRORS = {
    "channel_not_found",
    "not_in_channel",
    "is_archived",
    "account_inactive",
    "user_not_found",
    "invalid_blocks",
    "msg_too_long",
    "msg_blocks_too_long",
    "cant_update_message",
    "message_not_found",
    "no_text",
    "restricted_action",
    "invalid_auth",
    "not_authed",
}
MAX_ATTEMPTS = 8
BATCH = 50


class Deliverer:
    def __init__(self, runtime: Runtime) -> None:
        self.rt = runtime
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    # -- background loop -------------------------------------------------------------------
    def start(self, poll_seconds: float = 5.0) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._loop, args=(poll_seconds,), name="baton-delivery", daemon=True
            )
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def kick(self) -> None:
        self._wake.set()

    def _loop(self, poll_seconds: float) -> None:
        while not self._stop.is_set():
            self._wake.wait(poll_seconds)
            self._wake.clear()
            try:
                while self.deliver_due() and not self._stop.is_set():
                    pass
            except Exception:  # the loop must outlive any one bad row or outage
                log.exception("outbox delivery failed; will retry")

    # -- one pass --------------------------------------------------------------------------
    def deliver_due(self) -> int:
        """Send every due row once; returns how many were attempted."""
        with self._lock:  # one pass at a time in this process
            ids = self._claim()
            for row_id in ids:
                self._deliver_one(row_id)
            return len(ids)

    def _claim(self) -> list[int]:
        with self.rt.session() as s:
            rows = s.scalars(
                select(OutboxMessage)
                .where(
                    OutboxMessage.status == OutboxStatus.PENDING,
                    OutboxMessage.next_attempt_at <= utcnow(),
                )
                .order_by(OutboxMessage.id)
                .limit(BATCH)
                .with_for_update(skip_locked=True)
            ).all()
            for row in rows:
                row.status = OutboxStatus.SENDING
            return [r.id for r in rows]

    def _deliver_one(self, row_id: int) -> None:
        with self.rt.session() as s:
            row = s.get(OutboxMessage, row_id)
            assert row is not None
            try:
                self._send(s, row)
            except SlackApiError as exc:
                self._failed(row, exc)
            except OSError as exc:  # network trouble after the client's own retries
                self._retry_later(row, f"network: {exc}", None)
            else:
                row.status, row.sent_at = OutboxStatus.SENT, utcnow()
            row.attempts += 1

    def _failed(self, row: OutboxMessage, exc: SlackApiError) -> None:
        error = str(exc.response.get("error", "")) or f"http {exc.response.status_code}"
        if exc.response.status_code == 429:
            retry_after = float(exc.response.headers.get("retry-after", "1") or 1)
            self._retry_later(row, "rate_limited", retry_after)
        elif error in PERMANENT_ERRORS or row.attempts + 1 >= MAX_ATTEMPTS:
            row.status, row.last_error = OutboxStatus.FAILED, error
            log.warning("outbox %s gave up: %s", row.id, error)
        else:
            self._retry_later(row, error, None)

    def _retry_later(self, row: OutboxMessage, error: str, after: float | None) -> None:
        delay = (
            after if after is not None else min(300.0, 2.0**row.attempts) * (0.5 + random.random())
        )
        row.status, row.last_error = OutboxStatus.PENDING, error
        row.next_attempt_at = utcnow() + timedelta(seconds=delay)

    # -- rendering by topic ----------------------------------------------------------------
    def _send(self, s: Any, row: OutboxMessage) -> None:
        if row.topic in ("handoff.requested", "handoff.signoff_requested"):
            self._post_card(s, row)
        elif row.topic in ("handoff.updated", "handoff.resubmitted"):
            self._update_cards(s, row)
        elif row.topic in RENDERERS:
            self._post(row, RENDERERS[row.topic](s, row, self.rt.policy))
        else:
            raise SlackApiError(
                "unknown topic", {"ok": False, "error": f"unknown_topic:{row.topic}"}
            )

    def _post(self, row: OutboxMessage, payload: dict[str, Any]) -> dict[str, Any]:
        target = row.channel_id or row.user_id
        response = self.rt.client.chat_postMessage(channel=target, **payload)
        return response.data if isinstance(response.data, dict) else {}

    def _post_card(self, s: Any, row: OutboxMessage) -> None:
        view = self._view(s, row)
        sent = self._post(row, handoff_blocks.card_message(view))
        s.add(
            MessageRef(
                team_id=row.team_id,
                handoff_id=view.id,
                channel_id=sent["channel"],
                ts=sent["ts"],
                rendered_version=view.version,
            )
        )

    def _update_cards(self, s: Any, row: OutboxMessage) -> None:
        view = self._view(s, row)
        refs = s.scalars(
            select(MessageRef).where(
                MessageRef.team_id == row.team_id, MessageRef.handoff_id == view.id
            )
        ).all()
        payload = handoff_blocks.card_message(view)
        for ref in refs:
            if ref.rendered_version >= view.version:
                continue  # coalesced: a later update already showed this state
            self.rt.client.chat_update(channel=ref.channel_id, ts=ref.ts, **payload)
            ref.rendered_version = view.version

    def _view(self, s: Any, row: OutboxMessage) -> Any:
        assert row.handoff_id is not None
        return view_by_id(s, row.team_id, row.handoff_id, self.rt.policy)
