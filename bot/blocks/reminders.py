"""Overdue sign-offs: the reminder a lead gets, the escalation the project channel gets.

Rendered at delivery from the current hand-off, so a reminder delivered after the lead has
decided says so instead of asking again.
"""

from __future__ import annotations

from typing import Any

from bot.blocks.handoff import card_blocks, checklist_line, title
from bot.blocks.kit import Block, context, message, section, slack_date
from bot.blocks.text import escape, user
from models.enums import HandoffStatus, Role
from models.schemas.projects import HandoffView


def reminder_message(view: HandoffView, data: dict[str, Any]) -> dict[str, Any]:
    """A direct message to the lead: what waits on them, how late, and the card's buttons."""
    role = Role(data["role"])
    if _still_waiting(view, role):
        intro = (
            f":alarm_clock: Your sign-off as *{escape(role.label)}* on "
            f"*{escape(view.project_name)}* (`{escape(view.project_key)}`, {view.transition}) "
            f"is {_overdue(data)} overdue. Please decide below."
        )
    else:
        intro = (
            f":white_check_mark: The *{escape(role.label)}* sign-off on "
            f"*{escape(view.project_name)}* no longer waits on you."
        )
    blocks: list[Block] = [section(intro), *card_blocks(view)]
    return message(f"Reminder: {title(view)} waits on your sign-off", blocks)


def escalation_message(view: HandoffView, data: dict[str, Any]) -> dict[str, Any]:
    """A message in the project channel naming the approver and the ML architect lead."""
    role = Role(data["role"])
    approver = user(data["approver"]) if data.get("approver") else "_nobody (no lead)_"
    text = (
        f":rotating_light: The {view.transition} hand-off of *{escape(view.project_name)}* "
        f"(`{escape(view.project_key)}`) has waited twice its sign-off time on "
        f"*{escape(role.label)}*: {approver}, due {slack_date(view.due_at)}."
    )
    blocks: list[Block] = [section(text + "\n" + _architect_line(data, view.project_key))]
    blocks.append(section("\n".join(checklist_line(line) for line in view.checklist)))
    if not _still_waiting(view, role):
        blocks.append(context("Update: this sign-off has been decided since."))
    return message(f"Escalation: {title(view)} is overdue on {role.label}", blocks)


def _architect_line(data: dict[str, Any], key: str) -> str:
    if data.get("architect"):
        return f"{user(data['architect'])}, as ML architect lead, please help unblock it."
    return (
        "This project has no ML architect lead to escalate to: assign one with "
        f"`/mlops role assign {escape(key)} architect @user lead`."
    )


def _still_waiting(view: HandoffView, role: Role) -> bool:
    return view.status == HandoffStatus.PENDING and any(
        line.role == role for line in view.waiting_on
    )


def _overdue(data: dict[str, Any]) -> str:
    hours = int(data.get("hours_overdue") or 0)
    if hours < 1:
        return "less than an hour"
    return f"{hours} hour" + ("s" if hours != 1 else "")
