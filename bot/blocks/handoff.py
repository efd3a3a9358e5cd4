"""Hand-off surfaces: the card with its checklist and buttons, the form, the reason modal."""

from __future__ import annotations

import json
from typing import Any

from bot.blocks.kit import (
    Block,
    actions,
    button,
    context,
    divider,
    fields,
    header,
    message,
    modal,
    section,
    slack_date,
    text_input,
)
from bot.blocks.text import cut, escape, user
from models.enums import Decision, HandoffStatus
from models.policy import Transition
from models.schemas.projects import HandoffView, SignOffLine

APPROVE, REQUEST_CHANGES, REJECT = "handoff.approve", "handoff.request_changes", "handoff.reject"
FORM_CALLBACK, REASON_CALLBACK = "handoff.submit", "handoff.reason"
CARD_VALUE_MAX, DM_VALUE_MAX = 300, 1000

STATE_ICON = {
    None: ":hourglass_flowing_sand:",
    Decision.APPROVED: ":white_check_mark:",
    Decision.CHANGES_REQUESTED: ":memo:",
    Decision.REJECTED: ":no_entry:",
}
STATUS_LINE = {
    HandoffStatus.PENDING: ":hourglass_flowing_sand: Waiting for sign-off",
    HandoffStatus.CHANGES_REQUESTED: ":memo: Changes requested: waiting for the requester to resubmit",
    HandoffStatus.APPROVED: ":white_check_mark: Approved: the project moved on",
    HandoffStatus.REJECTED: ":no_entry: Rejected",
    HandoffStatus.CANCELLED: ":heavy_multiplication_x: Cancelled by the requester",
}


def title(view: HandoffView) -> str:
    return f"Hand-off · {view.project_key} · {view.transition}"


def card_blocks(view: HandoffView, *, with_buttons: bool = True) -> list[Block]:
    blocks: list[Block] = [
        header(title(view)),
        context(
            f"*{escape(view.project_name)}*",
            f"requested by {user(view.requested_by)}",
            f"round {view.round}",
            f"due {slack_date(view.due_at)}",
        ),
        *fields(
            [f"*{escape(p.label)}*\n{cut(escape(p.value), CARD_VALUE_MAX)}" for p in view.packet]
        ),
        divider(),
        section("*Sign-off*\n" + "\n".join(checklist_line(line) for line in view.checklist)),
        context(STATUS_LINE[view.status]),
    ]
    if with_buttons and view.status == HandoffStatus.PENDING:
        blocks.append(decision_buttons(view.id))
    return blocks


def checklist_line(line: SignOffLine) -> str:
    lead = user(line.lead) if line.lead else "_no lead_"
    if line.state is None:
        return f"{STATE_ICON[None]} *{escape(line.label)}*: pending, {lead}"
    verb = {
        Decision.APPROVED: "approved",
        Decision.CHANGES_REQUESTED: "changes requested",
        Decision.REJECTED: "rejected",
    }[line.state]
    reason = f": “{cut(escape(line.reason), 200)}”" if line.reason else ""
    return f"{STATE_ICON[line.state]} *{escape(line.label)}*: {verb} by {user(line.decided_by or '')}{reason}"


def decision_buttons(handoff_id: int) -> Block:
    value = str(handoff_id)
    return actions(
        f"handoff.decide.{handoff_id}",
        button("Approve", APPROVE, value, "primary"),
        button("Request changes", REQUEST_CHANGES, value),
        button("Reject", REJECT, value, "danger"),
    )


def card_message(view: HandoffView) -> dict[str, Any]:
    fallback = f"{title(view)}: {STATUS_LINE[view.status].split(' ', 1)[1]}"
    return message(fallback, card_blocks(view))


def advanced_message(key: str, stage_from: str, stage_to: str) -> dict[str, Any]:
    text = (
        f":rocket: *{escape(key)}* moved from *{stage_from}* to *{stage_to}*: every sign-off is in."
    )
    return message(f"{key} moved to {stage_to}", [section(text)])


def received_message(view: HandoffView) -> dict[str, Any]:
    blocks: list[Block] = [
        header(f"{view.project_key} is yours: {view.to_stage.value}"),
        section(
            f"*{escape(view.project_name)}* moved {view.transition}. Here is the hand-off packet "
            f"from {user(view.requested_by)}:"
        ),
        *[
            section(f"*{escape(p.label)}*\n{cut(escape(p.value), DM_VALUE_MAX)}")
            for p in view.packet
        ],
    ]
    return message(f"{view.project_key} was handed to you ({view.transition})", blocks)


def changes_requested_message(view: HandoffView, by: str) -> dict[str, Any]:
    reasons = [line for line in view.checklist if line.state == Decision.CHANGES_REQUESTED]
    why = "\n".join(f"• {checklist_line(line)}" for line in reasons) or "(no reason given)"
    text = (
        f":memo: {user(by)} asked for changes to your *{escape(view.project_key)}* hand-off "
        f"({view.transition}):\n{why}\nRun `/mlops handoff {view.project_key}` to resubmit."
    )
    return message(f"Changes requested on {view.project_key}", [section(text)])


def role_assigned_message(key: str, role_label: str, lead: bool, by: str) -> dict[str, Any]:
    what = f"lead {role_label}" if lead else role_label
    text = f"{user(by)} made you *{escape(what)}* on *{escape(key)}*."
    if lead:
        text += " You sign off for this specialty when a hand-off needs it."
    return message(f"You are now {what} on {key}", [section(text)])


def form_view(key: str, transition: Transition, prefill: dict[str, str], resubmit: bool) -> Block:
    intro = (
        f"*{escape(key)}*: {transition.name}. Sign-off by "
        + ", ".join(r.label for r in transition.signoff)
        + f"; SLA {transition.sla_hours:g} h."
    )
    inputs = [
        text_input(
            f.key, f.label, initial=prefill.get(f.key, ""), multiline=f.multiline, hint=f.hint
        )
        for f in transition.fields
    ]
    metadata = json.dumps({"key": key, "to": transition.to_stage.value})
    verb = "Resubmit" if resubmit else "Request"
    return modal(
        f"{verb} hand-off",
        FORM_CALLBACK,
        [section(intro), *inputs],
        submit=verb,
        private_metadata=metadata,
    )


def reason_view(handoff_id: int, decision: Decision, view: HandoffView) -> Block:
    verb = "Request changes" if decision == Decision.CHANGES_REQUESTED else "Reject"
    metadata = json.dumps({"handoff": handoff_id, "decision": decision.value})
    blocks = [
        section(f"{verb} on *{escape(view.project_key)}* ({view.transition})."),
        text_input("reason", "Reason", multiline=True, hint="What has to change, or why not"),
    ]
    return modal(verb, REASON_CALLBACK, blocks, submit=verb, private_metadata=metadata)
