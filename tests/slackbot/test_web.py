"""Health and readiness, and the same app answering over Socket Mode."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import requests
from slack_bolt.request import BoltRequest

from bot.app import build_app
from bot.config import Settings
from bot.db import make_engine, make_session_factory
from bot.runtime import Runtime
from bot.slack import make_client
from bot.web import build_web
from models.policy import DEFAULT_POLICY
from tests.slackbot.harness import Server


def test_healthz_and_readyz(bot, slack):
    assert requests.get(f"{bot.url}/healthz", timeout=5).json() == {"status": "ok"}
    ready = requests.get(f"{bot.url}/readyz", timeout=5)
    assert ready.status_code == 200 and ready.json()["status"] == "ready"


def _web_on(db_url: str, slack) -> Server:
    """Baton's web server on a database of the test's choosing (not the migrated `db`)."""
    settings = Settings(
        slack_bot_token="xoxb-test-token",
        slack_signing_secret="s",
        slack_api_url=slack.base_url,
        _env_file=None,
    )
    engine = make_engine(db_url)
    rt = Runtime(
        settings, engine, make_session_factory(engine), DEFAULT_POLICY, make_client(settings)
    )
    return Server(build_web(rt, build_app(rt)))


def test_readyz_is_503_before_migrations(tmp_path, slack):
    with _web_on(f"sqlite:///{tmp_path}/empty.db", slack) as server:
        response = requests.get(f"{server.url}/readyz", timeout=5)
    assert response.status_code == 503
    assert "schema at None" in response.json()["reason"]


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path, slack):
    unopenable = f"sqlite:///{tmp_path}/no-such-dir/baton.db"
    with _web_on(unopenable, slack) as server:
        response = requests.get(f"{server.url}/readyz", timeout=5)
        alive = requests.get(f"{server.url}/healthz", timeout=5)
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "reason": "database unreachable"}
    assert alive.status_code == 200  # alive, just not ready: restart would not help


def test_socket_mode_runs_the_same_listeners_without_signatures(bot, slack, seeded):
    rt = bot.baton.rt
    app = build_app(rt, socket_mode=True)
    body = urlencode(
        {
            "team_id": "THOME",
            "user_id": seeded.ds,
            "channel_id": seeded.channel,
            "command": "/mlops",
            "text": "status churn-model",
            "trigger_id": "t1",
            "response_url": slack.response_url("sock"),
        }
    )
    response = app.dispatch(BoltRequest(body=body, mode="socket_mode"))
    assert response.status == 200
    assert "Stage *manage*" in json.dumps(json.loads(response.body))
