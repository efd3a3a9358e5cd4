"""Overdue sign-offs: the reminder a lead gets, the escalation the project channel gets.

Rendered at delivery from the current hand-off, so a reminder delivered after the lead has
decided says so instead of asking again.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.blocks.handoff import card_blocks, checklist, title
from bot.blocks.kit import Block, actions, button, context, message, section, slack_date
from bot.blocks.text import cut, escape, slash_command, user
from models.enums import HandoffStatus, Role
from models.notifications import SnoozeNote
from models.schemas.projects import HandoffView


def reminder_message(view: HandoffView, role: Role, hours_overdue: int = 0) -> dict[str, Any]:
    """A direct message to the lead: what waits on them, how late, and the card's buttons."""
    if _still_waiting(view, role):
        intro = (
            f":alarm_clock: Your sign-off as *{escape(role.label)}* on "
            f"*{escape(view.project_name)}* (`{escape(view.project_key)}`, {view.transition}) "
            f"is {_overdue(hours_overdue)} overdue. Please decide below."
        )
    else:
        intro = (
            f":white_check_mark: The *{escape(role.label)}* sign-off on "
            f"*{escape(view.project_name)}* no longer waits on you."
        )
    blocks: list[Block] = [section(intro), *card_blocks(view)]
    if _still_waiting(view, role):
        blocks.append(snooze_buttons(view.id))
    return message(f"Reminder: {title(view)} waits on your sign-off", blocks)


SNOOZES = {
    "signoff.snooze_1h": "1h",
    "signoff.snooze_4h": "4h",
    "signoff.snooze_tomorrow": "tomorrow",
}
SNOOZE_LABELS = {"1h": "Snooze 1 h", "4h": "Snooze 4 h", "tomorrow": "Until tomorrow 09:00"}


def snooze_buttons(handoff_id: int) -> Block:
    value = str(handoff_id)
    return actions(
        f"signoff.snooze.{handoff_id}",
        *[button(SNOOZE_LABELS[choice], action, value) for action, choice in SNOOZES.items()],
    )


def snoozed_text(until: datetime) -> str:
    return (
        f":zzz: Snoozed: no reminder about this sign-off until {slack_date(until)}. "
        "You can still decide on the card at any time."
    )


def escalation_message(
    view: HandoffView,
    role: Role,
    approver: str | None,
    architect: str | None,
    snoozed: Sequence[SnoozeNote] = (),
) -> dict[str, Any]:
    """A message in the project channel naming the approver and the ML architect lead."""
    named = user(approver) if approver else "_nobody (no lead)_"
    text = (
        f":rotating_light: The {view.transition} hand-off of *{escape(view.project_name)}* "
        f"(`{escape(view.project_key)}`) has waited twice its sign-off time on "
        f"*{escape(role.label)}*: {named}, due {slack_date(view.due_at)}."
    )
    blocks: list[Block] = [section(text + "\n" + _architect_line(architect, view.project_key))]
    blocks.append(section(checklist(view)))
    if snoozed:
        blocks.append(context(_snoozed_line(snoozed)))
    if not _still_waiting(view, role):
        blocks.append(context("Update: this sign-off has been decided since."))
    return message(f"Escalation: {title(view)} is overdue on {role.label}", blocks)


def _snoozed_line(snoozed: Sequence[SnoozeNote]) -> str:
    parts = [
        f"{user(z.user)} until {slack_date(z.until)}"
        + (f" (“{cut(escape(z.reason), 100)}”)" if z.reason else "")
        for z in snoozed
    ]
    return ":zzz: Reminders were snoozed: " + "; ".join(parts)


def _architect_line(architect: str | None, key: str) -> str:
    if architect:
        return f"{user(architect)}, as ML architect lead, please help unblock it."
    return (
        "This project has no ML architect lead to escalate to: assign one with "
        f"`{slash_command()} role assign {escape(key)} architect @user lead`."
    )


def _still_waiting(view: HandoffView, role: Role) -> bool:
    return view.status == HandoffStatus.PENDING and any(
        line.role == role for line in view.waiting_on
    )


def _overdue(hours: int) -> str:
    if hours < 1:
        return "less than an hour"
    return f"{hours} hour" + ("s" if hours != 1 else "")
