"""The HTTP face: Slack's request URL, health and readiness, behind any WSGI server."""

from __future__ import annotations

import logging

from flask import Flask, Response, jsonify, request
from slack_bolt import App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_sdk.signature import SignatureVerifier
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from bot.db import read_only, schema_revision
from bot.readiness import write_problem
from bot.runtime import Runtime
from handlers import api, api_handoffs, mlflow

log = logging.getLogger(__name__)

# Slack's payloads are a few kilobytes; anything near this is not from Slack.
MAX_BODY_BYTES = 512 * 1024


def build_web(rt: Runtime, app: App) -> Flask:
    web = Flask("baton")
    web.config["MAX_CONTENT_LENGTH"] = MAX_BODY_BYTES
    web.register_blueprint(api.blueprint(rt))
    web.register_blueprint(api_handoffs.blueprint(rt))
    web.register_blueprint(mlflow.blueprint(rt))
    slack = SlackRequestHandler(app)
    secret = rt.settings.slack_signing_secret
    verifier = SignatureVerifier(secret.get_secret_value()) if secret else None

    @web.post("/slack/events")
    def slack_events() -> Response | tuple[Response, int]:
        try:
            return slack.handle(request)
        except ValueError:
            # bolt parses the body before it checks the signature; junk must not become a 500.
            signed = verifier is not None and verifier.is_valid_request(
                request.get_data(), dict(request.headers)
            )
            return jsonify(error="malformed request" if signed else "invalid request"), (
                400 if signed else 401
            )

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
