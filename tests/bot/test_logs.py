"""Log lines: JSON when BATON_LOG_FORMAT=json, every secret setting redacted, no request body,
token or response_url, and every logged value bounded, in-process and from a real server."""

from __future__ import annotations

import io
import json
import logging
import secrets
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
import requests
from slack_bolt import App
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient

from bot import logs
from bot.config import Settings
from models.services.tokens import TOKEN_PREFIX
from tests.bot.served import Served, database
from tests.fakeslack import FakeSlack
from tests.slackbot.harness import HOME, SECRET, SlackSigner

BOT_TOKEN = "xoxb-1111-2222-" + secrets.token_hex(8)
APP_TOKEN = "xapp-1-A111-" + secrets.token_hex(8)
SIGNING_SECRET = secrets.token_hex(16)
MLFLOW_SECRET = "mlflow-" + secrets.token_hex(8)
API_TOKEN = TOKEN_PREFIX + secrets.token_urlsafe(32)
LEGACY = "legacyverify" + secrets.token_hex(4)
HOOK = f"https://hooks.slack.com/commands/{HOME}/1234/{secrets.token_hex(8)}"
ALL = (BOT_TOKEN, APP_TOKEN, SIGNING_SECRET, MLFLOW_SECRET, API_TOKEN, LEGACY, HOOK)


@pytest.fixture
def json_logs() -> Iterator[io.StringIO]:
    """Baton's logging as configured from these Settings, writing to a buffer."""
    root = logging.getLogger()
    saved = root.handlers[:], root.level, root.manager.disable
    # From a known state, whatever an earlier test in this process left: a global
    # logging.disable or a level on a parent of the test's logger would hide its INFO lines.
    logging.disable(logging.NOTSET)
    for name in ("baton", "baton.test"):
        logging.getLogger(name).setLevel(logging.NOTSET)
    settings = Settings(
        slack_bot_token=BOT_TOKEN,
        slack_app_token=APP_TOKEN,
        slack_signing_secret=SIGNING_SECRET,
        mlflow_webhook_secret=MLFLOW_SECRET,
        baton_log_format="json",
        _env_file=None,
    )
    logs.configure_logging(settings)
    buffer = io.StringIO()
    [handler] = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(buffer)
    yield buffer
    logs.configure_logging()  # forget this test's secrets
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    logging.disable(saved[2])


def _lines(buffer: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in buffer.getvalue().splitlines() if line.strip()]


def test_json_lines_redact_every_secret_setting_and_token_pattern(json_logs):
    log = logging.getLogger("baton.test")
    for value in ALL:
        log.warning("calling Slack with %s", value if value != LEGACY else f"token={value}")
    log.info(f"inline {BOT_TOKEN} and {SIGNING_SECRET}")  # not only as arguments
    log.info("a library's dict: %s", {"token": LEGACY, "response_url": HOOK, "ok": True})
    log.info("headers: Authorization: Bearer %s", API_TOKEN)
    try:
        raise RuntimeError(f"Slack refused {BOT_TOKEN} for {HOOK}")
    except RuntimeError:
        log.exception("outbox delivery pass failed")
    lines = _lines(json_logs)
    assert log.getEffectiveLevel() == logging.INFO, "the fixture configures INFO"
    assert len(lines) == len(ALL) + 4
    assert {line["logger"] for line in lines} == {"baton.test"}
    assert {line["level"] for line in lines} == {"warning", "info", "error"}
    text = json.dumps(lines)
    leaked = [v for v in ALL if v in text]
    assert not leaked, leaked
    assert all("[redacted]" in line["message"] for line in lines[:-1])
    assert "'token': '[redacted]'" in lines[len(ALL) + 1]["message"]
    assert "RuntimeError: Slack refused [redacted] for [redacted]" in lines[-1]["exc"]


def test_a_huge_value_is_logged_bounded(json_logs):
    logging.getLogger("bot.app").warning("refused a request from workspace %s", "T" * 5000)
    [line] = _lines(json_logs)
    assert len(line["message"]) < 300
    assert line["message"].endswith("…[5000 characters]")


def test_bolt_does_not_log_the_body_of_a_request_that_fails_verification(json_logs):
    app = App(
        client=WebClient(token=BOT_TOKEN),
        signing_secret=SIGNING_SECRET,
        token_verification_enabled=False,
    )
    body = urlencode({"token": LEGACY, "team_id": HOME, "command": "/mlops", "response_url": HOOK})
    forged = SlackSigner("not-the-secret").headers(body)
    response = app.dispatch(BoltRequest(body=body, headers=forged))
    assert response.status == 401
    lines = _lines(json_logs)
    said = [line["message"] for line in lines]
    assert "Invalid request signature detected (body not logged)" in said, said
    assert not [v for v in ALL if v in json.dumps(lines)]


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(token=BOT_TOKEN, team_id=HOME) as slack:
        yield slack


def test_a_real_server_logs_json_without_bodies_secrets_or_unbounded_values(tmp_path, fake):
    env = {"BATON_LOG_FORMAT": "json", "MLFLOW_WEBHOOK_SECRET": MLFLOW_SECRET}
    with (
        database("sqlite", tmp_path) as db_url,
        Served(db_url, fake, tmp_path / "serve.log", env=env) as srv,
    ):
        fields = {"token": LEGACY, "team_id": HOME, "user_id": "UDS", "channel_id": "C1"}
        fields |= {"command": "/mlops", "text": "help", "response_url": HOOK}
        body = urlencode(fields)
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        forged = requests.post(
            f"{srv.url}/slack/events",
            data=body,
            headers={**form, **SlackSigner("not-the-secret").headers(body)},
            timeout=10,
        )
        foreign = urlencode({**fields, "team_id": "T" * 5000})
        refused = requests.post(
            f"{srv.url}/slack/events",
            data=foreign,
            headers={**form, **SlackSigner(SECRET).headers(foreign)},
            timeout=10,
        )
    assert forged.status_code == 401 and refused.status_code == 200
    output = srv.output()
    ours = [json.loads(line) for line in output.splitlines() if line.startswith("{")]
    others = [line for line in output.splitlines() if line and not line.startswith("{")]
    assert all(line.startswith("[") for line in others), others  # gunicorn's own lines
    said = [line["message"] for line in ours]
    # Both are refused in front of bolt (bot/web.py): the forged one for its signature, the
    # 5,000-character team for its shape; neither line quotes what was sent.
    assert "refused a Slack request without a valid signature (body not logged)" in said, said
    assert (
        "refused an ill-shaped Slack request: team_id: String should have at most 32 characters"
        in said
    ), said
    assert "T" * 300 not in output
    leaked = [v for v in (BOT_TOKEN, SECRET, MLFLOW_SECRET, LEGACY, HOOK) if v in output]
    assert not leaked, leaked
