"""The Snooze buttons of a sign-off reminder: 1 h, 4 h, or until 09:00 tomorrow."""

from __future__ import annotations

from collections.abc import Callable

from slack_bolt import App

from bot.blocks import reminders as reminder_blocks
from bot.runtime import Runtime
from handlers.listener import Incoming, Kind, listener
from models.base import utcnow
from models.services import snoozes


def register(app: App, rt: Runtime) -> None:
    for action_id, choice in reminder_blocks.SNOOZES.items():
        app.action(action_id)(listener(rt, Kind.ACTION, "signoff.snooze")(_snoozer(rt, choice)))


def _snoozer(rt: Runtime, choice: str) -> Callable[[Incoming], None]:
    def on_snooze(req: Incoming) -> None:
        req.detail["handoff"] = req.button_value()
        with rt.session() as s:
            until = snoozes.snooze(
                s,
                req.actor,
                req.button_id("a hand-off"),
                choice,
                rt.policy,
                utcnow(),
                default_zone=rt.settings.baton_timezone,
            )
        req.tell(reminder_blocks.snoozed_text(until))

    return on_snooze
