"""Modal submissions: the hand-off form and the reason for changes or rejection."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.blocks import handoff as handoff_blocks
from bot.runtime import Runtime
from handlers.envelope import Unreadable, read_object
from handlers.forms import replace_ephemeral_card, submitted_values
from handlers.listener import Incoming, Kind, listener, row_id
from models.enums import Decision, Stage
from models.errors import PacketInvalid
from models.services import decisions, handoffs

VERBS = {Decision.CHANGES_REQUESTED: "request_changes", Decision.REJECTED: "reject"}


def register(app: App, rt: Runtime) -> None:
    @app.view(handoff_blocks.FORM_CALLBACK)
    @listener(rt, Kind.VIEW, "handoff.request")
    def on_form(req: Incoming) -> None:
        _submit_form(rt, req)

    @app.view(handoff_blocks.REASON_CALLBACK)
    @listener(rt, Kind.VIEW, "handoff.decide")
    def on_reason(req: Incoming) -> None:
        _submit_reason(rt, req)


def _metadata(view: dict[str, Any]) -> dict[str, Any]:
    """What Baton put in the modal when it opened it; anything else was not Baton's."""
    return read_object(view.get("private_metadata") or "{}")


def _submit_form(rt: Runtime, req: Incoming) -> None:
    view = req.body["view"]
    meta = _metadata(view)
    values = submitted_values(view)
    req.error_block = next(iter(values), "reason")
    key, to = meta.get("key", ""), meta.get("to")
    if not isinstance(key, str) or to not in (None, *(s.value for s in Stage)):
        raise Unreadable("the form's metadata names no project or stage")
    req.detail["project_key"] = key
    try:
        with rt.session() as s:
            handoffs.submit_packet(s, req.actor, key, Stage(to) if to else None, values, rt.policy)
    except PacketInvalid as exc:
        errors = {k: v for k, v in exc.errors.items() if k in values}
        req.ack(response_action="errors", errors=errors or {req.error_block: exc.message})


def _submit_reason(rt: Runtime, req: Incoming) -> None:
    view = req.body["view"]
    meta = _metadata(view)
    reason = submitted_values(view).get("reason", "")
    try:
        decision = Decision(meta.get("decision"))
    except ValueError:
        raise Unreadable("the reason's metadata names no decision") from None
    if decision not in VERBS:
        raise Unreadable("the reason's metadata names no decision that takes a reason")
    req.refusal = f"handoff.{VERBS[decision]}"
    req.detail["handoff"] = meta.get("handoff")
    handoff_id = row_id(meta.get("handoff"), "That hand-off does not exist.")
    with rt.session() as s:
        result = decisions.decide(s, req.actor, handoff_id, decision, rt.policy, reason=reason)
    req.ack()  # the modal closes now; replacing the card it came from may take a moment
    reply = meta.get("reply")
    url = reply if isinstance(reply, str) else None
    replace_ephemeral_card(rt, req.actor, url, result.handoff, decision)
