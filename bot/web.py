"""The HTTP face: Slack's request URL, health and readiness, behind any WSGI server."""

from __future__ import annotations

import hashlib
import hmac
import logging
import time
from typing import Any

from flask import Flask, Response, jsonify, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.db import read_only, schema_revision
from bot.readiness import write_problem
from bot.runtime import Runtime
from handlers import api, api_handoffs, envelope, mlflow

log = logging.getLogger(__name__)

# Slack's payloads are a few kilobytes; anything near this is not from Slack.
MAX_BODY_BYTES = 512 * 1024
# Slack's timestamps are Unix seconds (ten digits until the year 2286), within five minutes.
MAX_TIMESTAMP_DIGITS = 12
MAX_AGE_SECONDS = 300


def signed_by_slack(secret: str, headers: Any, raw: bytes, now: float) -> bool:
    """A fresh timestamp of plain digits and a valid v0 signature, judged on the raw bytes."""
    stamp = headers.get("X-Slack-Request-Timestamp", "")
    signature = headers.get("X-Slack-Signature", "")
    if not (stamp.isascii() and stamp.isdigit() and len(stamp) <= MAX_TIMESTAMP_DIGITS):
        return False
    if abs(now - int(stamp)) > MAX_AGE_SECONDS:
        return False
    base = b"v0:" + stamp.encode() + b":" + raw
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, signature)


def _could_not_read(body: dict[str, Any]) -> tuple[Response, int]:
    """A slash command shows its answer to the user; other interactions get a plain 400."""
    answer = jsonify(response_type="ephemeral", text=envelope.COULD_NOT_READ)
    return answer, 200 if envelope.is_command(body) else 400


def build_web(rt: Runtime, app: App) -> Flask:
    web = Flask("baton", static_folder=None)  # no /static/<path> route: Baton serves no files
    web.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    web.register_blueprint(api.blueprint(rt))
    web.register_blueprint(api_handoffs.blueprint(rt))
    web.register_blueprint(mlflow.blueprint(rt))
    slack = SlackRequestHandler(app)
    secret = rt.settings.slack_signing_secret
    signing_secret = secret.get_secret_value() if secret else None

    @web.post("/slack/events")
    def slack_events() -> Response | tuple[Response, int]:
        # Verify first, parse after: bolt would parse the body (and int() the timestamp) before
        # its own check, so junk from anyone would reach it.
        raw = request.get_data()
        if signing_secret and not signed_by_slack(
            signing_secret, request.headers, raw, time.time()
        ):
            log.info("refused a Slack request without a valid signature (body not logged)")
            return jsonify(error="invalid request"), 401
        try:
            body = envelope.read_body(raw, request.content_type)
        except envelope.Unreadable as exc:
            log.warning("refused a signed Slack request: %s", exc.reason)
            return jsonify(error="malformed request"), 400
        if problem := envelope.problem_of(body):
            log.warning("refused an ill-shaped Slack request: %s", problem)
            return _could_not_read(body)
        return slack.handle(request)

    @web.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="ok")

    @web.get("/readyz")
    def readyz() -> tuple[Response, int]:
        try:
            with read_only(rt.engine).connect() as conn:  # never queued behind writers
                conn.execute(text("SELECT 1"))
                unwritable = write_problem(conn)
            current, head = schema_revision(rt.engine)
        except (SQLAlchemyError, OSError) as exc:
            log.error("readiness: database unreachable: %s", exc.__class__.__name__)
            return jsonify(status="unavailable", reason="database unreachable"), 503
        if unwritable:
            log.error("readiness: the database cannot take writes: %s", unwritable)
            return jsonify(status="unavailable", reason=unwritable), 503
        if current != head:
            return jsonify(status="unavailable", reason=f"schema at {current}, code at {head}"), 503
        return jsonify(status="ready", schema=current), 200

    return web
