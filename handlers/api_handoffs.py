"""/api/v1 read and wait: a hand-off's state (long-polled with ?wait=&version=), a project's
state, and cancelling a hand-off. Authentication and JSON errors are handlers/api.py's (they
run for every /api/v1 path); these endpoints, like every other, see only the token's workspace.
"""

from __future__ import annotations

from flask import Blueprint, g, jsonify, request
from pydantic import ValidationError

from bot.handoff_waits import TooManyWaiters, Waiters
from bot.runtime import Runtime
from handlers.api import API_PREFIX, Reply, _domain_error, _json
from handlers.api_gate_schemas import (
    CancelRequest,
    HandoffState,
    ProjectStateOut,
    WaitQuery,
)
from handlers.api_schemas import FieldError, ValidationErrors, body_errors
from handlers.context import audit_refusal
from models.errors import DomainError
from models.services import handoff_reads

WAITERS_BUSY_RETRY_SECONDS = 1


def blueprint(rt: Runtime) -> Blueprint:
    bp = Blueprint("api_handoffs", __name__, url_prefix=API_PREFIX)
    waiters = Waiters(rt.settings.baton_api_max_waiters)

    @bp.get("/handoffs/<int:handoff_id>")
    def get_handoff(handoff_id: int) -> Reply:
        return _get_handoff(rt, waiters, handoff_id)

    @bp.post("/handoffs/<int:handoff_id>/cancel")
    def cancel_handoff(handoff_id: int) -> Reply:
        return _cancel(rt, handoff_id)

    @bp.get("/projects/<key>")
    def get_project(key: str) -> Reply:
        try:
            with rt.session(reading=True) as s:
                state = handoff_reads.project_state(s, g.team_id, key, rt.policy)
        except DomainError as exc:
            return _domain_error(exc)
        return _json(ProjectStateOut.of(state), 200)

    return bp


def _get_handoff(rt: Runtime, waiters: Waiters, handoff_id: int) -> Reply:
    try:
        query = WaitQuery.model_validate(request.args.to_dict())
    except ValidationError as exc:
        errors = [FieldError(loc=["query", *e["loc"]], msg=e["msg"]) for e in exc.errors()]
        return _json(ValidationErrors(errors=errors), 422)
    try:
        state = _read(rt, handoff_id)
        if query.wait and query.version == state.version and state.status.is_open:
            waiters.wait_for_change(lambda: _version(rt, handoff_id), state.version, query.wait)
            state = _read(rt, handoff_id)
    except DomainError as exc:
        return _domain_error(exc)
    except TooManyWaiters:
        response = jsonify(error="too many waiting requests on this server; retry shortly")
        response.headers["Retry-After"] = str(WAITERS_BUSY_RETRY_SECONDS)
        return response, 429
    return _json(state, 200)


def _read(rt: Runtime, handoff_id: int) -> HandoffState:
    with rt.session(reading=True) as s:
        return HandoffState.of(handoff_reads.handoff_state(s, g.team_id, handoff_id, rt.policy))


def _version(rt: Runtime, handoff_id: int) -> int:
    with rt.session(reading=True) as s:
        return handoff_reads.handoff_version(s, g.team_id, handoff_id)


def _cancel(rt: Runtime, handoff_id: int) -> Reply:
    try:
        body = CancelRequest.model_validate(request.get_json())
    except ValidationError as exc:
        return _json(body_errors(exc), 422)
    actor = rt.actor(g.team_id, body.cancelled_by)
    try:
        with rt.session() as s:
            view = handoff_reads.cancel_by_id(s, actor, handoff_id, rt.policy)
    except DomainError as exc:
        audit_refusal(rt, actor, "handoff.cancel", exc, handoff=handoff_id, source="api")
        return _domain_error(exc)
    return _json(HandoffState.of(view), 200)
