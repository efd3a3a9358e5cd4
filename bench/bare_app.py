"""The baseline: a bolt app that only acknowledges, on the same Flask adapter as Baton.

Served by `gunicorn bench.bare_app:web` with Baton's worker class, workers and threads, so
the latency ratio shows what Baton itself adds over bolt, Flask and gunicorn.
"""

from __future__ import annotations

import os
from typing import Any

from flask import Flask, Response, jsonify, request
from slack_bolt import Ack, App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_sdk import WebClient

# bolt's single-workspace authorization calls auth.test once, on the first request: it must
# reach the bench's FakeSlack (as Baton's client does), never the real Slack.
client = WebClient(token=os.environ["SLACK_BOT_TOKEN"], base_url=os.environ["SLACK_API_URL"])
app = App(
    client=client,
    signing_secret=os.environ["SLACK_SIGNING_SECRET"],
    token_verification_enabled=False,
)


@app.command(os.environ.get("BATON_COMMAND", "/mlops"))
def on_command(ack: Ack) -> None:
    ack()


@app.action("handoff.approve")
def on_approve(ack: Ack, body: dict[str, Any]) -> None:
    ack()


web = Flask("bare")
handler = SlackRequestHandler(app)


@web.post("/slack/events")
def slack_events() -> Response:
    return handler.handle(request)


@web.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")
