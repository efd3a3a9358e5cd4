"""/api/v1: pipelines push metrics, request hand-offs and export the audit trail.

Every call carries a bearer token (`baton api-token create`) and sees only that token's
workspace. Answers are JSON, errors included; bodies are checked by handlers/api_schemas.py
and the contract is published at /api/v1/openapi.json (handlers/api_openapi.py).
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, Response, abort, g, jsonify, request
from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException, MethodNotAllowed

from bot.dossier_render import DOSSIER_FORMATS, DOSSIER_MEDIA_TYPES, dossier_file
from bot.exports import AUDIT_FORMATS, MEDIA_TYPES, audit_file
from bot.runtime import Runtime
from handlers.api_openapi import openapi_document
from handlers.api_schemas import (
    FieldError,
    HandoffOut,
    HandoffRequest,
    MetricRef,
    MetricsAccepted,
    ValidationErrors,
    body_errors,
    parse_observations,
)
from handlers.context import audit_refusal
from models import rules
from models.base import utcnow
from models.enums import Stage
from models.errors import DomainError, NotFound, PacketInvalid, PermissionDenied
from models.schemas.monitoring import MetricPoint
from models.services import handoffs, tokens

log = logging.getLogger(__name__)

API_PREFIX = "/api/v1"
# Machine endpoints answer errors in JSON; the rest of the app keeps Flask's defaults.
JSON_PREFIXES = (API_PREFIX + "/", "/webhooks/")
ERROR_TEXT = {
    400: "the body is not valid JSON",
    404: "not found",
    405: "method not allowed",
    413: "the body is too large",
    415: "send the body as application/json",
    500: "internal error",
}
UNAUTHORIZED = {"error": "unauthorized"}

Reply = tuple[Response, int]


def blueprint(rt: Runtime) -> Blueprint:
    bp = Blueprint("api", __name__, url_prefix=API_PREFIX)
    # App-wide, filtered by path: runs before routing, so an unauthenticated caller learns
    # nothing, not even which paths exist.
    bp.before_app_request(lambda: _authenticate(rt))
    bp.app_errorhandler(HTTPException)(_http_error)

    @bp.post("/metrics")
    def push_metrics() -> Reply:
        return _push_metrics(rt)

    @bp.post("/handoffs")
    def request_handoff() -> Reply:
        return _request_handoff(rt)

    @bp.get("/projects/<key>/audit")
    def export_audit(key: str) -> Response | Reply:
        return _export_audit(rt, key)

    @bp.get("/projects/<key>/dossier")
    def export_dossier(key: str) -> Response | Reply:
        return _export_dossier(rt, key)

    @bp.get("/openapi.json")
    def openapi() -> Response:
        return jsonify(openapi_document())

    return bp


def _authenticate(rt: Runtime) -> Reply | None:
    if not (request.path + "/").startswith(API_PREFIX + "/"):
        return None
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return _unauthorized()
    try:
        with rt.session() as s:
            team = tokens.authenticate(s, token.strip(), utcnow())
    except OperationalError as exc:
        log.error("api: database unavailable: %s", exc.orig)
        return jsonify(error="database unavailable, try again"), 503
    if team is None:
        log.info("api: refused a request with an unknown or revoked token")
        return _unauthorized()
    g.team_id = team
    return None


def _unauthorized() -> Reply:
    response = jsonify(UNAUTHORIZED)
    response.headers["WWW-Authenticate"] = 'Bearer realm="baton"'
    return response, 401


def _http_error(exc: HTTPException) -> Any:
    if not (request.path + "/").startswith(JSON_PREFIXES):
        return exc
    if isinstance(getattr(exc, "original_exception", None), OperationalError):
        # Flask has logged the cause; the caller learns to retry, as the contract says.
        return jsonify(error="database unavailable, try again"), 503
    code = exc.code or 500
    response = jsonify(error=ERROR_TEXT.get(code, exc.name.lower()))
    if isinstance(exc, MethodNotAllowed) and exc.valid_methods:
        response.headers["Allow"] = ", ".join(exc.valid_methods)
    return response, code


def _push_metrics(rt: Runtime) -> Reply:
    try:
        observations = parse_observations(_json_body())
    except ValidationError as exc:
        return _json(body_errors(exc), 422)
    from models.services import monitoring  # written alongside this API; imported when used

    try:
        points = [
            MetricPoint(key=o.project, metric=o.metric, value=o.value, observed_at=o.observed_at)
            for o in observations
        ]
        with rt.session() as s:
            result = monitoring.record_observations(s, g.team_id, points, "api", utcnow())
    except DomainError as exc:
        return _domain_error(exc)
    recorded = result.recorded
    unmatched = [MetricRef(project=p.key, metric=p.metric) for p in result.unmatched]
    if not recorded:
        listed = ", ".join(f"{u.project}/{u.metric}" for u in unmatched)
        return jsonify(error=f"no active monitor in this workspace for: {listed}"), 404
    opened = sum(r.alert_opened is not None for r in recorded)
    body = MetricsAccepted(accepted=len(recorded), alerts_opened=opened, unmatched=unmatched)
    return _json(body, 200)


def _request_handoff(rt: Runtime) -> Reply:
    try:
        body = HandoffRequest.model_validate(_json_body())
    except ValidationError as exc:
        return _json(body_errors(exc), 422)
    actor = rt.actor(g.team_id, body.requested_by)
    to_stage = Stage(body.to_stage) if body.to_stage else None
    try:
        with rt.session() as s:
            view = handoffs.submit_packet(
                s, actor, body.project, to_stage, body.packet, rt.policy, source="api"
            )
    except DomainError as exc:
        audit_refusal(rt, actor, "handoff.request", exc, project_key=body.project, source="api")
        return _domain_error(exc)
    return _json(HandoffOut.of(view), 201 if view.round == 1 else 200)


def _export_audit(rt: Runtime, key: str) -> Response | Reply:
    if not rules.PROJECT_KEY.fullmatch(key):  # no project has such a key (nor a NUL in it)
        return jsonify(error=ERROR_TEXT[404]), 404
    fmt = _format_asked(AUDIT_FORMATS, "json")
    if not isinstance(fmt, str):
        return fmt
    try:
        body = audit_file(rt.session, rt.client, g.team_id, key, fmt)
    except DomainError as exc:
        return _domain_error(exc)
    response = Response(body, content_type=MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{key}-audit.{fmt}"'
    return response


def _export_dossier(rt: Runtime, key: str) -> Response | Reply:
    fmt = _format_asked(DOSSIER_FORMATS, "html")
    if not isinstance(fmt, str):
        return fmt
    try:
        body = dossier_file(rt.session, rt.client, g.team_id, key, rt.policy, fmt)
    except DomainError as exc:
        return _domain_error(exc)
    response = Response(body, content_type=DOSSIER_MEDIA_TYPES[fmt])
    response.headers["Content-Disposition"] = f'attachment; filename="{key}-dossier.{fmt}"'
    return response


def _format_asked(formats: tuple[str, ...], default: str) -> str | Reply:
    """The export's ?format=, or the 422 naming the formats there are."""
    fmt = request.args.get("format", default)
    if fmt in formats:
        return fmt
    why = f"format must be one of: {', '.join(formats)}"
    return _json(ValidationErrors(errors=[FieldError(loc=["query", "format"], msg=why)]), 422)


def _domain_error(exc: DomainError) -> Reply:
    if isinstance(exc, PacketInvalid):
        errors = [FieldError(loc=["body", "packet", k], msg=m) for k, m in exc.errors.items()]
        return _json(ValidationErrors(errors=errors), 422)
    if isinstance(exc, NotFound):
        return jsonify(error=exc.message), 404
    if isinstance(exc, PermissionDenied):
        return jsonify(error=exc.message), 403
    # Conflict, and any other refusal of the rules: the project's state says no.
    return jsonify(error=exc.message), 409


def _json_body() -> Any:
    """The JSON body; one nested too deeply for the parser is as invalid as a broken one."""
    try:
        return request.get_json()
    except RecursionError:
        abort(400)


def _json(model: BaseModel, status: int) -> Reply:
    return jsonify(model.model_dump(mode="json")), status
