"""Workflow Builder's "Request Baton sign-off" step (a Bolt custom step, bolt >= 1.20).

Slack sends `function_executed` when a workflow reaches the step; this opens the hand-off
and leaves the step running. It completes when the hand-off is decided, from the outbox
(bot/workflow_sink.py), never here: bad inputs are the only immediate completion, an error
naming what to fix, with nothing changed. The step is declared under `functions:` in the
manifest with the same callback id, inputs and outputs.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App, Fail
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from bot.runtime import Runtime
from handlers.context import audit_refusal
from models.errors import DomainError
from models.services import workflow_steps
from models.services.workflow_steps import StepRequest

log = logging.getLogger(__name__)

CALLBACK_ID = "request_signoff"
NO_DATABASE = (
    "Baton cannot reach its database right now, so no sign-off was requested. "
    "Run the workflow again in a few minutes."
)


def register(app: App, rt: Runtime) -> None:
    @app.function(CALLBACK_ID)
    def request_signoff(event: dict[str, Any], fail: Fail, context: Any) -> None:
        team = str(context.team_id)
        req = step_request(event)
        try:
            with rt.session() as s:
                view = workflow_steps.request_signoff(s, team, req, rt.policy)
        except DomainError as exc:
            audit_refusal(
                rt,
                rt.actor(team, (req.requester or "unknown")[:32]),
                "handoff.request",
                exc,
                project_key=req.project,
                source="workflow",
            )
            _fail(fail, req, exc.message)
            return
        except SQLAlchemyError as exc:
            log.error("workflow step refused, database unavailable: %s", exc.__class__.__name__)
            _fail(fail, req, NO_DATABASE)
            return
        log.info("workflow step %s waits on hand-off %s", req.function_execution_id, view.id)


def step_request(event: dict[str, Any]) -> StepRequest:
    inputs = event.get("inputs") if isinstance(event.get("inputs"), dict) else {}
    return StepRequest(
        function_execution_id=str(event.get("function_execution_id") or ""),
        workflow_execution_id=_text(event.get("workflow_execution_id")),
        project=_text(inputs.get("project")),
        target_stage=_text(inputs.get("target_stage")),
        requester=_text(inputs.get("requester")),
        packet=_text(inputs.get("packet")),
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)


def _fail(fail: Fail, req: StepRequest, message: str) -> None:
    try:
        fail(f"Baton could not request sign-off: {message}")
    except (SlackApiError, ValueError) as exc:
        error = exc.response.get("error") if isinstance(exc, SlackApiError) else str(exc)
        log.warning("workflow step %s: completeError failed: %s", req.function_execution_id, error)
