"""The OpenAPI 3.1 document of /api/v1, written as data; its schemas come from the very pydantic
models that validate the requests, and tests hold the routes and responses to it."""

from __future__ import annotations

from functools import cache
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from bot.dossier_render import DOSSIER_FORMATS
from bot.exports import AUDIT_FORMATS
from handlers.api_gate_schemas import (
    MAX_WAIT_SECONDS,
    CancelRequest,
    HandoffState,
    ProjectStateOut,
)
from handlers.api_schemas import (
    ErrorBody,
    HandoffOut,
    HandoffRequest,
    MetricsAccepted,
    Observation,
    ObservationBatch,
    ValidationErrors,
)
from models import rules
from models.columns import ROW_ID_MAX
from models.schemas.projects import AuditEntry

Schema = dict[str, Any]
MODELS: list[tuple[type[BaseModel], JsonSchemaMode]] = [
    (Observation, "validation"),
    (ObservationBatch, "validation"),
    (HandoffRequest, "validation"),
    (MetricsAccepted, "serialization"),
    (HandoffOut, "serialization"),
    (AuditEntry, "serialization"),
    (ErrorBody, "serialization"),
    (ValidationErrors, "serialization"),
]
# The read-and-wait endpoints (handlers/api_handoffs.py), kept apart from the others.
GATE_MODELS: list[tuple[type[BaseModel], JsonSchemaMode]] = [
    (HandoffState, "serialization"),
    (ProjectStateOut, "serialization"),
    (CancelRequest, "validation"),
]
ERRORS = {
    "400": "The body is not valid JSON",
    "401": "Missing, unknown or revoked API token",
    "403": "The rules refuse this user (e.g. not a member of the project)",
    "404": "No such project (or, for metrics, no monitor) in the token's workspace",
    "409": "The project's state refuses it (an open hand-off, no such transition, ...)",
    "413": "The body is too large",
    "429": "Too many long polls wait on this server; retry after Retry-After seconds",
    "415": "The body is not application/json",
    "503": "The database is unreachable; nothing was changed, retry later",
}
# What a call that changes something may be answered besides its success.
WRITE_ERRORS = ("400", "401", "403", "404", "409", "413", "415", "503")


@cache
def openapi_document() -> Schema:
    refs, defs = models_json_schema(
        MODELS + GATE_MODELS, ref_template="#/components/schemas/{model}"
    )

    def ref(model: type[BaseModel], mode: JsonSchemaMode = "serialization") -> Schema:
        return dict(refs[(model, mode)])

    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Baton API",
            "version": "1",
            "description": "Pipelines push metrics, request hand-offs and export the audit "
            "trail. Every call carries a token from `baton api-token create NAME` and sees "
            "only that token's workspace.",
        },
        "security": [{"bearerAuth": []}],
        "paths": {**_paths(ref), **_gate_paths(ref)},
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer", "bearerFormat": "baton_…"}
            },
            "schemas": defs["$defs"],
        },
    }


def _paths(ref: Any) -> Schema:
    return {
        "/api/v1/metrics": {"post": _metrics(ref)},
        "/api/v1/handoffs": {"post": _handoffs(ref)},
        "/api/v1/projects/{key}/audit": {"get": _audit(ref)},
        "/api/v1/projects/{key}/dossier": {"get": _dossier(ref)},
        "/api/v1/openapi.json": {"get": _openapi(ref)},
    }


def _openapi(ref: Any) -> Schema:
    document = _json("The OpenAPI document", {"type": "object"})
    return _operation(ref, "openapi", "This document", {"200": document}, errors=("401", "503"))


def _metrics(ref: Any) -> Schema:
    body = {"oneOf": [ref(Observation, "validation"), ref(ObservationBatch, "validation")]}
    return _operation(
        ref,
        "pushMetrics",
        "Record metric observations (one, or a batch under `observations`)",
        {"200": _json("Recorded; breaches open alerts", ref(MetricsAccepted))},
        errors=("400", "401", "404", "409", "413", "415", "503"),
        invalid="Field errors",
        body=body,
    )


def _handoffs(ref: Any) -> Schema:
    return _operation(
        ref,
        "requestHandoff",
        "Request a hand-off with its packet, on behalf of a project member",
        {
            "201": _json("Hand-off requested", ref(HandoffOut)),
            "200": _json("Resubmitted as the next round", ref(HandoffOut)),
        },
        errors=WRITE_ERRORS,
        invalid="Field errors, body or packet",
        body=ref(HandoffRequest, "validation"),
        description="The same rules as the Slack form: a project waiting for changes gets "
        "the packet as its next round. Sign-off requests go to Slack.",
    )


def _audit(ref: Any) -> Schema:
    content = {
        "application/json": {"schema": {"type": "array", "items": ref(AuditEntry)}},
        "text/csv": {"schema": {"type": "string"}},
    }
    return _operation(
        ref,
        "exportAudit",
        "A project's whole audit trail, oldest first",
        {"200": {"description": "The audit trail", "content": content}},
        errors=("401", "404", "503"),
        invalid="Unknown format",
        parameters=[_key_param(), _format_param(AUDIT_FORMATS, "json")],
    )


def _dossier(ref: Any) -> Schema:
    text = {"schema": {"type": "string"}}
    content = {
        "text/html": text,
        "text/markdown": text,
        "application/json": {"schema": {"type": "object"}},
        "text/csv": text,
    }
    description = "The dossier (HTML is one self-contained, printable page)"
    return _operation(
        ref,
        "exportDossier",
        "A project's evidence dossier: decisions with names, rules in force, "
        "lineage, monitors, and the audit chain's verification",
        {"200": {"description": description, "content": content}},
        errors=("401", "404", "503"),
        invalid="Unknown format",
        parameters=[_key_param(), _format_param(DOSSIER_FORMATS, "html")],
    )


def _operation(
    ref: Any,
    operation_id: str,
    summary: str,
    answers: Schema,
    *,
    errors: tuple[str, ...],
    invalid: str | None = None,
    body: Schema | None = None,
    parameters: list[Schema] | None = None,
    description: str | None = None,
) -> Schema:
    """One operation: its answers, then the error answers by code, then 422 for field errors."""
    operation: Schema = {"operationId": operation_id, "summary": summary}
    if description:
        operation["description"] = description
    if parameters:
        operation["parameters"] = parameters
    if body is not None:
        operation["requestBody"] = {
            "required": True,
            "content": {"application/json": {"schema": body}},
        }
    responses = {**answers, **_errors(ref, *errors)}
    if invalid:
        responses["422"] = _json(invalid, ref(ValidationErrors))
    operation["responses"] = responses
    return operation


def _key() -> Schema:
    return {"type": "string", "pattern": rules.PROJECT_KEY_PATTERN}


def _key_param() -> Schema:
    return {"name": "key", "in": "path", "required": True, "schema": _key()}


def _query_param(name: str, schema: Schema) -> Schema:
    return {"name": name, "in": "query", "required": False, "schema": schema}


def _format_param(formats: Any, default: str) -> Schema:
    return _query_param("format", {"type": "string", "enum": list(formats), "default": default})


def _json(description: str, schema: Schema) -> Schema:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(ref: Any, *codes: str) -> Schema:
    return {code: _json(ERRORS[code], ref(ErrorBody)) for code in codes}


def _gate_paths(ref: Any) -> Schema:
    handoff_id = {
        "name": "handoff_id",
        "in": "path",
        "required": True,
        "schema": {"type": "integer", "minimum": 1, "maximum": ROW_ID_MAX},
    }
    return {
        "/api/v1/handoffs/{handoff_id}": {"get": _get_handoff(ref, handoff_id)},
        "/api/v1/handoffs/{handoff_id}/cancel": {"post": _cancel(ref, handoff_id)},
        "/api/v1/projects/{key}": {"get": _get_project(ref)},
    }


def _get_handoff(ref: Any, handoff_id: Schema) -> Schema:
    wait = {"type": "number", "minimum": 0, "maximum": MAX_WAIT_SECONDS}
    return _operation(
        ref,
        "getHandoff",
        "A hand-off's state; with `wait` and `version`, a long poll",
        {"200": _json("The hand-off, as it is now", ref(HandoffState))},
        errors=("401", "404", "429", "503"),
        invalid="A bad query parameter",
        parameters=[
            handoff_id,
            _query_param("wait", wait),
            _query_param("version", {"type": "integer", "minimum": 0}),
        ],
        description="Status, round, transition and each required sign-off with its lead, "
        "decision, who, when and why. With `wait=S` and the `version` last seen, the answer "
        "comes as soon as the hand-off changes (a decision, a cancel, a resubmission), or "
        "after S seconds unchanged; a closed hand-off answers at once. A waiting request "
        "holds a server thread: beyond the server's limit (BATON_API_MAX_WAITERS) it is "
        "answered 429 with Retry-After.",
    )


def _cancel(ref: Any, handoff_id: Schema) -> Schema:
    return _operation(
        ref,
        "cancelHandoff",
        "Cancel an open hand-off, on behalf of its requester or a Baton admin",
        {"200": _json("Cancelled", ref(HandoffState))},
        errors=WRITE_ERRORS,
        invalid="Field errors",
        body=ref(CancelRequest, "validation"),
        parameters=[handoff_id],
    )


def _get_project(ref: Any) -> Schema:
    return _operation(
        ref,
        "getProject",
        "A project: stage, roster, open hand-off and monitors",
        {"200": _json("The project", ref(ProjectStateOut))},
        errors=("401", "404", "503"),
        parameters=[_key_param()],
    )
