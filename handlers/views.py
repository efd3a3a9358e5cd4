"""Modal submissions: the hand-off form and the reason for changes or rejection."""

from __future__ import annotations

import json
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from bot.blocks import handoff as handoff_blocks
from bot.runtime import Runtime
from handlers.context import TRY_AGAIN, Unavailable, audit_refusal, database_errors
from models.enums import Decision, Stage
from models.errors import DomainError, PacketInvalid
from models.services import decisions, handoffs


def register(app: App, rt: Runtime) -> None:
    @app.view(handoff_blocks.FORM_CALLBACK)
    def on_form(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        _submit_form(rt, ack, body)

    @app.view(handoff_blocks.REASON_CALLBACK)
    def on_reason(ack: Ack, body: dict[str, Any], client: WebClient) -> None:
        _submit_reason(rt, ack, body)


def submitted_values(view: dict[str, Any]) -> dict[str, str]:
    """block_id → typed text, from the view state Slack sends with the submission."""
    values = view.get("state", {}).get("values", {})
    return {
        block_id: str((inputs.get("value") or {}).get("value") or "")
        for block_id, inputs in values.items()
        if isinstance(inputs, dict)
    }


def _metadata(view: dict[str, Any]) -> dict[str, Any]:
    try:
        data = json.loads(view.get("private_metadata") or "{}")
    except json.JSONDecodeError:
        data = {}
    return data if isinstance(data, dict) else {}


def _submit_form(rt: Runtime, ack: Ack, body: dict[str, Any]) -> None:
    view = body["view"]
    meta = _metadata(view)
    values = submitted_values(view)
    actor = rt.actor(body["team"]["id"], body["user"]["id"])
    first_block = next(iter(values), "reason")
    try:
        to_stage = Stage(meta.get("to")) if meta.get("to") else None
        with database_errors(), rt.session() as s:
            handoffs.submit_packet(s, actor, str(meta.get("key", "")), to_stage, values, rt.policy)
    except PacketInvalid as exc:
        errors = {k: v for k, v in exc.errors.items() if k in values} or {first_block: exc.message}
        ack(response_action="errors", errors=errors)
        return
    except DomainError as exc:
        audit_refusal(rt, actor, "handoff.submit", exc, project_key=meta.get("key"))
        ack(response_action="errors", errors={first_block: exc.message})
        return
    except (Unavailable, ValueError):
        ack(response_action="errors", errors={first_block: TRY_AGAIN})
        return
    ack()


def _submit_reason(rt: Runtime, ack: Ack, body: dict[str, Any]) -> None:
    view = body["view"]
    meta = _metadata(view)
    reason = submitted_values(view).get("reason", "")
    actor = rt.actor(body["team"]["id"], body["user"]["id"])
    try:
        decision = Decision(meta.get("decision"))
        handoff_id = int(meta.get("handoff", 0))
        with database_errors(), rt.session() as s:
            decisions.decide(s, actor, handoff_id, decision, rt.policy, reason=reason)
    except DomainError as exc:
        audit_refusal(rt, actor, "handoff.decide", exc, handoff=meta.get("handoff"))
        ack(response_action="errors", errors={"reason": exc.message})
        return
    except (Unavailable, ValueError, TypeError):
        ack(response_action="errors", errors={"reason": TRY_AGAIN})
        return
    ack()
