"""Overdue sign-offs: the reminder a lead gets, the escalation the project channel gets.

Rendered at delivery from the current hand-off, so a reminder delivered after the lead has
decided says so instead of asking again.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.blocks.handoff import card_blocks, card_message, checklist, title
from bot.blocks.kit import (
    Block,
    actions,
    button,
    context,
    input_block,
    message,
    modal,
    section,
    slack_date,
    static_select,
    text_input,
)
from bot.blocks.text import cut, escape, slash_command, user
from models.enums import HandoffStatus, Role
from models.notifications import SnoozeNote
from models.schemas.projects import HandoffView
from models.services.snoozes import REASON_MAX


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


SNOOZE_CALLBACK, SNOOZE_CHOICE, SNOOZE_REASON = "signoff.snooze_submit", "choice", "reason"
SNOOZE_CHOICES = {
    "1h": "For 1 hour",
    "4h": "For 4 hours",
    "tomorrow": "Until tomorrow 09:00 (your time)",
}


def snooze_modal(handoff_id: int, choice: str, shown_in: tuple[str, str] | None) -> Block:
    """How long (the button clicked, preselected) and why; `shown_in`: the reminder's
    (channel, ts), edited once snoozed. Metadata carries ids only."""
    meta: dict[str, Any] = {"handoff": handoff_id}
    if shown_in is not None:
        meta["channel"], meta["ts"] = shown_in
    options = [(label, value) for value, label in SNOOZE_CHOICES.items()]
    blocks = [
        section(
            "No reminder about this sign-off reaches you until the snooze ends; you can still "
            "decide on the card at any time. A reason tells the ML architect lead why it waits."
        ),
        input_block(SNOOZE_CHOICE, "Snooze", static_select("value", "How long", options, choice)),
        text_input(
            SNOOZE_REASON,
            "Reason",
            hint="In an audit until Thursday…",
            optional=True,
            max_length=REASON_MAX,
        ),
    ]
    return modal(
        "Snooze reminders",
        SNOOZE_CALLBACK,
        blocks,
        submit="Snooze",
        private_metadata=json.dumps(meta),
    )


def snoozed_reminder_message(
    view: HandoffView, signer: str, snooze: SnoozeNote | None, now: datetime
) -> dict[str, Any]:
    """The reminder DM once snoozed: until when (in the reader's zone) and why, with the card;
    the card alone once the hand-off no longer waits on them."""
    if view.status != HandoffStatus.PENDING or not any(
        line.signer == signer for line in view.waiting_on
    ):
        return card_message(view)
    if snooze is not None and snooze.until > now:
        intro = f":zzz: Snoozed until {slack_date(snooze.until)} (your time)"
        intro += f": {cut(escape(snooze.reason), 300)}" if snooze.reason else "."
        intro += "\nNo reminder about this sign-off until then; you can still decide below."
    else:
        intro = ":alarm_clock: Your snooze has ended: this sign-off still waits on you."
    blocks: list[Block] = [section(intro), *card_blocks(view)]
    return message(f"Snoozed: {title(view)} waits on your sign-off", blocks)


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
