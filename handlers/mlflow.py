"""POST /webhooks/mlflow: MLflow's model-registry webhooks (OSS MLflow 3.x).

MLflow signs each delivery the Standard Webhooks way (mlflow/webhooks/delivery.py):
headers `X-MLflow-Delivery-Id` (a UUID), `X-MLflow-Timestamp` (Unix seconds) and
`X-MLflow-Signature: v1,<base64 HMAC-SHA256(secret, "<delivery id>.<timestamp>.<body>")>`,
the body being the JSON envelope `{"entity", "action", "timestamp", "data"}`. A delivery is
accepted only with a valid signature from the last five minutes, and only once per delivery id.

`model_version.created` enters the version in each linked project's lineage. Aliases gate
promotion the right way round: the request alias (`BATON_MLFLOW_REQUEST_ALIAS`, default
challenger) set on a version requests develop → deploy; once approved, Baton itself sets the
production alias (`BATON_MLFLOW_ALIAS`, default champion) on that version (bot/mlflow_sink.py).
The production alias arriving here is Baton's own call coming back, or, with no approved
hand-off for that version, someone promoting without sign-off: reported in the channel.
Anything Baton cannot act on is acknowledged with a note, so MLflow does not retry it.

MLflow sends the two events concurrently, so the request alias can arrive before the version
it names is recorded. That delivery is answered 503 with Retry-After and nothing is written,
not even its receipt: MLflow 3.x retries 429/5xx (urllib3 `Retry` in
mlflow/webhooks/delivery.py `_create_webhook_session`, 3 retries by default, honouring
Retry-After on a 503) and resends the same delivery id, which is then acted on. Once the
delivery is VERSION_WAIT_SECONDS old (its signed timestamp) Baton stops waiting: a project
still without the version is answered `not_requested` and audited.
"""

from __future__ import annotations

import hmac
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, jsonify, request
from pydantic import BaseModel, Field, ValidationError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bot.runtime import Runtime
from bot.webhook_sink import sign  # Standard Webhooks: Baton signs its own webhooks alike
from handlers.envelope import read_object
from models.rules import ModelName
from models.schemas.integrations import Outcome
from models.services import integrations, mlflow_gate
from models.services.integrations import MlflowVersion

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-MLflow-Signature"
TIMESTAMP_HEADER = "X-MLflow-Timestamp"
DELIVERY_HEADER = "X-MLflow-Delivery-Id"
MAX_AGE_SECONDS = 300
MAX_TIMESTAMP_DIGITS = 12  # Unix seconds: ten digits until the year 2286
# An alias ahead of its version is asked again after RETRY_AFTER_SECONDS, while its delivery
# is younger than VERSION_WAIT_SECONDS. MLflow's retries of one delivery come about
# Retry-After apart (0, 2, 4, 6 s with its default 3 retries), all with the first try's
# whole-second timestamp: the first waits, the second waits unless the truncated timestamp
# makes it 3 s old, the third falls back, the fourth is spare (a Baton clock up to ~3 s
# behind MLflow's still falls back in time).
RETRY_AFTER_SECONDS = 2
VERSION_WAIT_SECONDS = 3

Reply = tuple[Response, int]


@dataclass(frozen=True)
class Delivery:
    id: str
    age_seconds: float  # since MLflow signed it; its retries keep the first timestamp


class Envelope(BaseModel):
    entity: str
    action: str
    data: dict[str, Any]


class VersionCreated(BaseModel):
    name: ModelName
    version: str = Field(max_length=64)  # MLflow's are whole numbers; the column holds 64
    source: str | None = None
    run_id: str | None = None
    tags: dict[str, str] = {}


class AliasCreated(BaseModel):
    name: ModelName
    alias: str
    version: str = Field(max_length=64)


def blueprint(rt: Runtime) -> Blueprint:
    bp = Blueprint("mlflow", __name__)

    @bp.post("/webhooks/mlflow")
    def mlflow_webhook() -> Reply:
        return _receive(rt)

    return bp


def signature_problem(secret: str, headers: Any, body: bytes, now: float) -> str | None:
    """Why this delivery is not MLflow's (for the log only), or None if it is."""
    delivery, stamp = headers.get(DELIVERY_HEADER), headers.get(TIMESTAMP_HEADER)
    signatures = headers.get(SIGNATURE_HEADER)
    if not delivery or not stamp or not signatures:
        return "missing signature headers"
    if not stamp.isascii() or not stamp.isdigit() or len(stamp) > MAX_TIMESTAMP_DIGITS:
        return "malformed timestamp"
    if abs(now - int(stamp)) > MAX_AGE_SECONDS:
        return "timestamp outside the five-minute window"
    expected = sign(secret, delivery, stamp, body)
    # Space-separated like Standard Webhooks, so a rotated secret could be sent alongside.
    if not any(hmac.compare_digest(expected, sig) for sig in signatures.split()):
        return "signature mismatch"
    return None


def _receive(rt: Runtime) -> Reply:
    secret = rt.settings.mlflow_webhook_secret
    if secret is None or not secret.get_secret_value():
        log.error("MLflow webhook refused: MLFLOW_WEBHOOK_SECRET is not set, nothing is verifiable")
        return jsonify(error="MLflow webhooks are not configured on this server"), 503
    body, now = request.get_data(), time.time()
    problem = signature_problem(secret.get_secret_value(), request.headers, body, now)
    if problem is not None:
        log.warning("MLflow webhook refused: %s", problem)
        return jsonify(error="unauthorized"), 401
    try:
        # An object, no NUL (no column stores one), not nested past the parser.
        envelope = Envelope.model_validate(read_object(body.decode("utf-8")))
    except (ValueError, ValidationError):
        log.warning("MLflow webhook: a signed body that is not an MLflow event envelope")
        return jsonify(error="not an MLflow webhook event"), 400
    age = now - int(request.headers[TIMESTAMP_HEADER])
    return _dispatch(rt, envelope, Delivery(request.headers[DELIVERY_HEADER], age))


def _dispatch(rt: Runtime, envelope: Envelope, delivery: Delivery) -> Reply:
    event = f"{envelope.entity}.{envelope.action}"
    act = EVENTS.get(event)
    if act is None:
        log.info("MLflow event %s ignored: Baton does not act on it", event)
        return _ack(event, "ignored", [], f"Baton does not act on {event}")
    try:
        with rt.session() as s:
            if not integrations.first_delivery(s, delivery.id):
                log.info("MLflow delivery %s already handled", delivery.id)
                return _ack(event, "duplicate", [], "this delivery was handled before")
            outcomes, note = act(rt, s, envelope.data, delivery)
    except ValidationError as exc:
        why = _first_problem(exc)
        log.warning("MLflow %s payload not understood: %s", event, why)
        return jsonify(error=f"the {event} payload is not understood: {why}"), 400
    except integrations.VersionNotYetRecorded as exc:  # rolled back, the receipt with it
        log.info("MLflow delivery %s: %s; asked to retry", delivery.id, exc)
        return _retry_later(f"{exc}: deliver this alias again once it is")
    except OperationalError as exc:  # MLflow retries a 503; nothing was recorded
        log.error("MLflow webhook: database unavailable: %s", exc.orig)
        return _retry_later("database unavailable, try again")
    return _ack(event, "handled" if outcomes else "ignored", outcomes, note)


def _version_created(
    rt: Runtime, s: Session, data: dict[str, Any], delivery: Delivery
) -> tuple[list[Outcome], str]:
    p = VersionCreated.model_validate(data)
    mv = MlflowVersion(p.name, p.version, p.source, p.run_id, p.tags)
    outcomes = integrations.record_mlflow_version(s, mv)
    if not outcomes:
        log.info(
            "MLflow model %r is not linked to a project; version %s ignored", p.name, p.version
        )
        return [], f"model '{p.name}' is not linked to a project"
    log.info("MLflow %s v%s: %s", p.name, p.version, _summary(outcomes))
    return outcomes, f"version {p.version} of '{p.name}' is in the lineage"


def _alias_created(
    rt: Runtime, s: Session, data: dict[str, Any], delivery: Delivery
) -> tuple[list[Outcome], str]:
    p = AliasCreated.model_validate(data)
    requested, production = rt.settings.baton_mlflow_request_alias, rt.settings.baton_mlflow_alias
    if p.alias == requested:
        may_wait = delivery.age_seconds < VERSION_WAIT_SECONDS
        outcomes = integrations.request_signoff_for_version(
            s, p.name, p.version, rt.policy, production, may_wait=may_wait
        )
        done = f"version {p.version} of '{p.name}' is '{p.alias}': sign-off requested"
    elif p.alias == production:
        outcomes = mlflow_gate.production_alias_set(s, p.name, p.alias, p.version)
        done = f"version {p.version} of '{p.name}' is now '{p.alias}'"
    else:
        return [], f"alias '{p.alias}' is neither '{requested}' nor '{production}': nothing to do"
    if not outcomes:
        log.info("MLflow model %r is not linked to a project; alias %s ignored", p.name, p.alias)
        return [], f"model '{p.name}' is not linked to a project"
    log.info("MLflow %s v%s is %s: %s", p.name, p.version, p.alias, _summary(outcomes))
    return outcomes, done


def _first_problem(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    # A rule of models/rules.py, in the words the other ways in use.
    return f"{where}: {first['msg'].removeprefix('Value error, ')}"


def _summary(outcomes: list[Outcome]) -> str:
    return "; ".join(
        f"{o.project} {o.outcome}" + (f" ({o.note})" if o.note else "") for o in outcomes
    )


def _retry_later(error: str) -> Reply:
    reply = jsonify(error=error)
    reply.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    return reply, 503


def _ack(event: str, status: str, outcomes: list[Outcome], note: str | None) -> Reply:
    projects = [o.model_dump() for o in outcomes]
    return jsonify(event=event, status=status, note=note, projects=projects), 200


Act = Callable[[Runtime, Session, dict[str, Any], Delivery], tuple[list[Outcome], str]]

EVENTS: dict[str, Act] = {
    "model_version.created": _version_created,
    "model_version_alias.created": _alias_created,
}
