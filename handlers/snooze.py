"""Snoozing a sign-off reminder: each Snooze button (1 h, 4 h, until 09:00 tomorrow) opens a
small modal with that choice preselected and an optional reason; its submission snoozes, and
the reminder it came from is edited to say until when and why."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from slack_bolt import App

from bot.blocks import reminders as reminder_blocks
from bot.runtime import Runtime
from handlers.envelope import read_object
from handlers.forms import submitted_values
from handlers.listener import Incoming, Kind, listener, row_id
from models.base import utcnow
from models.rules import SLACK_CHANNEL, SLACK_TS
from models.services import snoozes

FORM_FAILED = "Slack did not open the snooze form in time. Nothing was changed; please click again."


def register(app: App, rt: Runtime) -> None:
    for action_id, choice in reminder_blocks.SNOOZES.items():
        app.action(action_id)(listener(rt, Kind.ACTION, "signoff.snooze")(_asker(choice)))

    @app.view(reminder_blocks.SNOOZE_CALLBACK)
    @listener(rt, Kind.VIEW, "signoff.snooze")
    def on_snooze(req: Incoming) -> None:
        view = req.body["view"]
        meta = read_object(view.get("private_metadata") or "{}")
        values = submitted_values(view)
        req.error_block = reminder_blocks.SNOOZE_CHOICE
        req.detail["handoff"] = meta.get("handoff")
        handoff_id = row_id(meta.get("handoff"), "That hand-off does not exist.")
        with rt.session() as s:
            snoozes.snooze(
                s,
                req.actor,
                handoff_id,
                values.get(reminder_blocks.SNOOZE_CHOICE, ""),
                rt.policy,
                utcnow(),
                default_zone=rt.settings.baton_timezone,
                reason=values.get(reminder_blocks.SNOOZE_REASON) or None,
                shown_in=_shown_in(meta.get("channel"), meta.get("ts")),
            )
        req.ack()  # the modal closes; the reminder is edited from the outbox


def _asker(choice: str) -> Callable[[Incoming], None]:
    def on_snooze_button(req: Incoming) -> None:
        req.ack()
        # No database work before views.open: the trigger lives 3 s, and the submission
        # checks everything (the hand-off still waits on this person, the choice).
        handoff_id = req.button_id("a hand-off")
        container = req.body.get("container") or {}
        shown_in = None  # an ephemeral message cannot be edited by chat.update
        if not container.get("is_ephemeral"):
            shown_in = _shown_in(container.get("channel_id"), container.get("message_ts"))
        req.open_view(reminder_blocks.snooze_modal(handoff_id, choice, shown_in), FORM_FAILED)

    return on_snooze_button


def _shown_in(channel: Any, ts: Any) -> tuple[str, str] | None:
    """The reminder message's (channel, ts), if the click came from one that can be edited."""
    if not (isinstance(channel, str) and isinstance(ts, str)):
        return None
    return (channel, ts) if SLACK_CHANNEL.match(channel) and SLACK_TS.match(ts) else None
