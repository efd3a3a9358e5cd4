"""Hand-off surfaces: the card with its checklist and buttons, the form, the reason modal."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from bot.blocks.kit import (
    Block,
    actions,
    button,
    choice_select,
    context,
    datepicker,
    divider,
    fields,
    header,
    input_block,
    message,
    modal,
    number_input,
    section,
    slack_date,
    text_input,
    url_input,
    users_select,
)
from bot.blocks.text import cut, escape, slash_command, user
from models import packet_fields
from models.enums import Decision, HandoffStatus
from models.policy import PacketField, Transition
from models.schemas.projects import HandoffView, PacketLine, SignOffLine
from models.signers import Signer

APPROVE, REQUEST_CHANGES, REJECT = "handoff.approve", "handoff.request_changes", "handoff.reject"
RESUBMIT = "handoff.resubmit"
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
        *fields([f"*{escape(p.label)}*\n{packet_value(p, CARD_VALUE_MAX)}" for p in view.packet]),
        divider(),
        section("*Sign-off*\n" + checklist(view)),
        context(status_line(view)),
    ]
    if with_buttons and view.status == HandoffStatus.PENDING:
        blocks.append(decision_buttons(view.id))
    return blocks


STAND_IN_WHY = {"requester": "who requested it", "away": "away"}


def packet_value(line: PacketLine, limit: int) -> str:
    """A `user` field is a mention (an id is all it holds); any other value is escaped text."""
    return user(line.value) if line.type == "user" else cut(escape(line.value), limit)


def status_line(view: HandoffView) -> str:
    """Who cancelled, when it was not the requester (an admin, a pipeline)."""
    if view.status == HandoffStatus.CANCELLED and view.closed_by not in (None, view.requested_by):
        return f":heavy_multiplication_x: Cancelled by {user(view.closed_by or '')}"
    return STATUS_LINE[view.status]


def checklist(view: HandoffView) -> str:
    return "\n".join(checklist_line(line, closed=not view.is_open) for line in view.checklist)


def checklist_line(line: SignOffLine, *, closed: bool = False) -> str:
    """closed: the hand-off ended, so a role nobody decided is no longer waited on."""
    if line.state is None and closed:
        return f":heavy_minus_sign: *{escape(line.label)}*: not needed — closed"
    if line.state is None:
        return f"{STATE_ICON[None]} *{escape(line.label)}*: pending, {_pending_signer(line)}"
    verb = {
        Decision.APPROVED: "approved",
        Decision.CHANGES_REQUESTED: "changes requested",
        Decision.REJECTED: "rejected",
    }[line.state]
    reason = f": “{cut(escape(line.reason), 200)}”" if line.reason else ""
    return f"{STATE_ICON[line.state]} *{escape(line.label)}*: {verb} by {_decider(line)}{reason}"


def _pending_signer(line: SignOffLine) -> str:
    if not line.lead:
        return "_no lead_"
    if not line.standing_in:
        return user(line.lead)
    signer = user(line.signer) if line.signer else "a Baton admin"
    return f"{signer} {on_behalf_of(line)}"


def on_behalf_of(line: SignOffLine) -> str:
    """Whose sign-off a stand-in gives, and why: "for @Lena (away)"."""
    return f"for {user(line.lead)} ({STAND_IN_WHY.get(line.standing_in or '', line.standing_in)})"


def stand_in_note(transition: Transition, signer: Signer) -> str:
    """Said on the form before submit: whose sign-off goes to someone else, and why."""
    who = f"{user(signer.user)} (ML architect lead)" if signer.user else "a Baton admin"
    return (
        f":scales: You lead {escape(signer.role.label)}, and self sign-off is not allowed on "
        f"{transition.name}: {who} signs for {escape(signer.role.label)} instead."
    )


def _decider(line: SignOffLine) -> str:
    who = user(line.decided_by or "")
    if line.as_admin:
        return f"{who} (admin)"
    if line.on_behalf_of:
        why = STAND_IN_WHY.get(line.standing_in or "", line.standing_in or "")
        return f"{who} for {user(line.on_behalf_of)} ({why})"
    return who


def resubmit_button(handoff_id: int) -> Block:
    return button("Resubmit", RESUBMIT, str(handoff_id))


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
        *[section(f"*{escape(p.label)}*\n{packet_value(p, DM_VALUE_MAX)}") for p in view.packet],
    ]
    return message(f"{view.project_key} was handed to you ({view.transition})", blocks)


def changes_requested_message(view: HandoffView, by: str) -> dict[str, Any]:
    reasons = [line for line in view.checklist if line.state == Decision.CHANGES_REQUESTED]
    why = "\n".join(f"• {checklist_line(line)}" for line in reasons) or "(no reason given)"
    text = (
        f":memo: {user(by)} asked for changes to your *{escape(view.project_key)}* hand-off "
        f"({view.transition}):\n{why}"
    )
    blocks: list[Block] = [section(text)]
    if view.status == HandoffStatus.CHANGES_REQUESTED:  # rendered late: resubmitted or closed
        blocks += [
            context("*Resubmit* opens the form with your packet filled in."),
            actions(f"handoff.resubmit.{view.id}", resubmit_button(view.id)),
        ]
    else:
        blocks.append(context(STATUS_LINE[view.status]))
    return message(f"Changes requested on {view.project_key}", blocks)


def closed_message(view: HandoffView, by: str, *, to_requester: bool) -> dict[str, Any]:
    """Rejected or cancelled, told to the requester (a DM) or the project channel."""
    rejected = view.status == HandoffStatus.REJECTED
    verb = "rejected" if rejected else "cancelled"
    whose = "Your" if to_requester else "The"
    reasons = [
        f"“{cut(escape(line.reason), 300)}”"
        for line in view.checklist
        if line.state == Decision.REJECTED and line.reason
    ]
    why = f": {' '.join(reasons)}" if rejected and reasons else "."
    text = (
        f"{STATUS_LINE[view.status].split(' ', 1)[0]} {whose} *{escape(view.project_key)}* "
        f"hand-off ({view.transition}, round {view.round}) was {verb} by {user(by)}{why}\n"
        f"*{escape(view.project_name)}* stays in {view.from_stage.value}."
    )
    return message(f"Hand-off {verb}: {view.project_key} ({view.transition})", [section(text)])


def role_assigned_message(key: str, role_label: str, lead: bool, by: str) -> dict[str, Any]:
    what = f"lead {role_label}" if lead else role_label
    text = f"{user(by)} made you *{escape(what)}* on *{escape(key)}*."
    if lead:
        text += " You sign off for this specialty when a hand-off needs it."
    return message(f"You are now {what} on {key}", [section(text)])


def overseer_named_message(key: str, by: str) -> dict[str, Any]:
    text = (
        f"{user(by)} named you the overseer of *{escape(key)}*. You may stop it at any time: "
        f"open a monitor → develop hand-off (`{slash_command()} handoff {escape(key)} develop`) "
        f"or archive it (`{slash_command()} project archive {escape(key)}`)."
    )
    return message(f"You are now the overseer of {key}", [section(text)])


def form_view(
    key: str,
    transition: Transition,
    prefill: dict[str, str],
    resubmit: bool,
    stand_ins: Sequence[Signer] = (),
) -> Block:
    intro = (
        f"*{escape(key)}*: {transition.name}. Sign-off by "
        + ", ".join(r.label for r in transition.signoff)
        + f"; SLA {transition.sla_hours:g} h."
    )
    notes = [context(stand_in_note(transition, signer)) for signer in stand_ins]
    inputs = [field_input(f, prefill.get(f.key, "")) for f in transition.fields]
    metadata = json.dumps({"key": key, "to": transition.to_stage.value})
    verb = "Resubmit" if resubmit else "Request"
    return modal(
        f"{verb} hand-off",
        FORM_CALLBACK,
        [section(intro), *notes, *inputs],
        submit=verb,
        private_metadata=metadata,
    )


# Field types with an element of their own; the others are typed text (checked on submit).
TYPED_ELEMENTS: dict[str, Callable[[PacketField, str], Block]] = {
    "date": lambda f, v: datepicker(v),
    "url": lambda f, v: url_input(v),
    "number": lambda f, v: number_input(v),
    "select": lambda f, v: choice_select(list(f.options), v),
    "user": lambda f, v: users_select(v),
}


def field_input(f: PacketField, value: str) -> Block:
    """The input for one packet field, prefilled with `value` where its element can hold it."""
    element = TYPED_ELEMENTS.get(f.type)
    if element is None:
        return text_input(
            f.key, f.label, initial=value, multiline=f.type == "multiline", hint=f.hint
        )
    fits = bool(value) and packet_fields.problem(f.type, f.label, f.options, value) is None
    return input_block(f.key, f.label, element(f, value if fits else ""), hint=f.hint)


def reason_view(
    handoff_id: int, decision: Decision, view: HandoffView, reply: str | None = None
) -> Block:
    """reply: the response_url of the ephemeral card the click came from, replaced on submit."""
    verb = "Request changes" if decision == Decision.CHANGES_REQUESTED else "Reject"
    meta: dict[str, Any] = {"handoff": handoff_id, "decision": decision.value}
    if reply:
        meta["reply"] = reply
    metadata = json.dumps(meta)
    blocks = [
        section(f"{verb} on *{escape(view.project_key)}* ({view.transition})."),
        text_input("reason", "Reason", multiline=True, hint="What has to change, or why not"),
    ]
    return modal(verb, REASON_CALLBACK, blocks, submit=verb, private_metadata=metadata)
