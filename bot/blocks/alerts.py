"""Alert messages in the project channel: opened (with its buttons), resolved, escalated.

Rendered at delivery from the alert as it stands, so an alert delivered late after someone
acknowledged it says so, and the alert's own message is edited to that state whenever it
changes (acknowledged, recovered, retrain no longer possible). Resolution and escalation
answer in the alert's thread.
"""

from __future__ import annotations

from typing import Any

from bot.blocks.kit import Block, actions, button, context, message, section, slack_date
from bot.blocks.text import escape, slash_command, user
from models.schemas.monitoring import AlertView

ACK, RETRAIN = "alert.ack", "alert.retrain"


def rule(view: AlertView) -> str:
    """`below its min 0.8` / `above its max 120`."""
    way = "below its min" if view.direction == "min" else "above its max"
    return f"{way} {view.threshold:g}"


def title(view: AlertView) -> str:
    return f"{view.project_key} · {view.metric} {rule(view)}"


def opened_message(view: AlertView) -> dict[str, Any]:
    text = (
        f":rotating_light: *{escape(view.metric)}* is *{view.value:g}*, {rule(view)}, on "
        f"*{escape(view.project_name)}* (`{escape(view.project_key)}`).\n{_owner_line(view)}"
    )
    blocks: list[Block] = [
        section(text),
        context(f"opened {slack_date(view.opened_at)}", status_line(view)),
    ]
    if view.is_open and view.retrain_blocked:
        blocks.append(context(f"No retrain from here: {escape(view.retrain_blocked)}."))
    buttons = alert_buttons(view) if view.is_open else None
    if buttons is not None:
        blocks.append(buttons)
    return message(f"Alert: {title(view)}", blocks)


def status_line(view: AlertView) -> str:
    if view.status == "resolved":
        back = f": back to *{view.resolved_value:g}*" if view.resolved_value is not None else ""
        when = f" at {slack_date(view.resolved_at, '{time}')}" if view.resolved_at else ""
        return f":white_check_mark: resolved{back}{when}"
    if view.status == "acknowledged":
        return f":eyes: acknowledged by {user(view.acknowledged_by or '')}"
    if view.escalated_at is not None:
        return ":mega: open, escalated to the ML architect lead"
    return ":hourglass_flowing_sand: open, waiting for someone to acknowledge"


def alert_buttons(view: AlertView) -> Block | None:
    """Acknowledge while nobody has; retrain while the project can start one. None: neither."""
    value = str(view.id)
    elements = []
    if view.status == "open":
        elements.append(button("Acknowledge", ACK, value, "primary"))
    if view.retrain_blocked is None:
        elements.append(button("Open retrain hand-off", RETRAIN, value))
    return actions(f"alert.{view.id}", *elements) if elements else None


def resolved_message(view: AlertView, value: float) -> dict[str, Any]:
    text = (
        f":white_check_mark: *{escape(view.metric)}* is back to *{value:g}* (its "
        f"{view.direction} is {view.threshold:g}) on `{escape(view.project_key)}`: "
        "alert resolved."
    )
    return _in_thread(view, message(f"Resolved: {title(view)}", [section(text)]))


def escalated_message(view: AlertView, architect: str | None) -> dict[str, Any]:
    waited = _minutes(view)
    text = (
        f":mega: Nobody has acknowledged the *{escape(view.metric)}* alert on "
        f"*{escape(view.project_name)}* (`{escape(view.project_key)}`) for {waited} minutes "
        f"({view.value:g}, {rule(view)}). {_architect_line(view, architect)}"
    )
    blocks: list[Block] = [section(text)]
    if view.status != "open":
        blocks.append(context(f"Update since: {status_line(view)}."))
    payload = message(f"Escalation: {title(view)}", blocks)
    return _in_thread(view, payload, broadcast=True)


def _owner_line(view: AlertView) -> str:
    if view.owner_user:
        return (
            f"{user(view.owner_user)}, as {escape(view.owner_role.label)} lead, please take a look."
        )
    return (
        f"There is no {escape(view.owner_role.label)} lead to ping: assign one with "
        f"`{slash_command()} role assign {escape(view.project_key)} {view.owner_role.value} @user lead`."
    )


def _architect_line(view: AlertView, architect: str | None) -> str:
    if architect:
        return f"{user(architect)}, as ML architect lead, please make sure someone picks it up."
    return (
        "There is no ML architect lead to escalate to: assign one with "
        f"`{slash_command()} role assign {escape(view.project_key)} architect @user lead`."
    )


def _minutes(view: AlertView) -> int:
    end = view.escalated_at or view.opened_at
    return max(0, int((end - view.opened_at).total_seconds() // 60))


def _in_thread(
    view: AlertView, payload: dict[str, Any], *, broadcast: bool = False
) -> dict[str, Any]:
    """Under the alert when its message is known; escalations are shown in the channel too."""
    if not view.message_ts:
        return payload
    threaded = {**payload, "thread_ts": view.message_ts}
    if broadcast:
        threaded["reply_broadcast"] = True
    return threaded
