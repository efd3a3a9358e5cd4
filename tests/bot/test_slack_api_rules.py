"""Slack's argument rules, one copy: the sandbox emulator and the test fake refuse alike.

The same form-encoded bodies (JSON fields as strings, the way slack_sdk posts them) go to the
emulator's Flask blueprint and to the fake's loopback server; both must answer the same code.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from flask import Flask
from flask.testing import FlaskClient

from bot.sandbox.emulator import WebApi, api_blueprint
from bot.sandbox.workspace import Workspace
from bot.slack_api_rules import (
    channel_info,
    decode_json_fields,
    flag,
    history_window,
    message_problem,
)
from tests.fakeslack import FakeSlack

TOKEN = "xoxb-rules"
DIVIDERS = json.dumps([{"type": "divider"}] * 51)
HOME = {"type": "home", "blocks": []}
META = {"event_type": "baton_outbox", "event_payload": {"outbox_id": 1}}

CASES: list[tuple[str, dict[str, Any], str | None]] = [
    ("chat.postMessage", {"channel": "CGENERAL"}, "no_text"),
    ("chat.postMessage", {"channel": "CGENERAL", "text": "t", "blocks": DIVIDERS}, "invalid_blocks"),
    ("chat.postMessage", {"channel": "CGENERAL", "blocks": "[not json"}, "invalid_blocks_format"),
    ("chat.postMessage", {"channel": "CGENERAL", "text": "t", "metadata": "{}"}, "invalid_metadata_format"),
    ("chat.postMessage", {"channel": "CGENERAL", "text": "t", "metadata": json.dumps(META)}, None),
    ("chat.postMessage", {"channel": "CGENERAL", "attachments": '[{"text": "a"}]'}, None),
    ("chat.postEphemeral", {"channel": "CGENERAL", "user": "UDANA"}, "no_text"),
    ("conversations.history", {"channel": "CGENERAL", "limit": "0"}, "invalid_limit"),
    ("conversations.history", {"channel": "CGENERAL", "limit": "ten"}, "invalid_arguments"),
    ("conversations.history", {"channel": "CGENERAL", "oldest": "1.5", "limit": "5"}, None),
    ("views.publish", {"user_id": "UDANA", "view": json.dumps({"type": "modal"})}, "invalid_arguments"),
    ("views.publish", {"user_id": "UDANA", "view": json.dumps({**HOME, "blocks": json.loads(DIVIDERS) * 2})}, "invalid_arguments"),
    ("views.publish", {"user_id": "UDANA", "view": json.dumps(HOME)}, None),
    ("conversations.info", {"channel": "CGENERAL"}, None),
    ("conversations.info", {"channel": "UDANA"}, "channel_not_found"),
]  # fmt: skip


@pytest.fixture(scope="module")
def emulator() -> FlaskClient:
    app = Flask("rules")
    app.register_blueprint(api_blueprint(WebApi(Workspace(), TOKEN), lambda *_: False))
    return app.test_client()


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(token=TOKEN) as slack:
        yield slack


def answer_of_emulator(client: FlaskClient, method: str, form: dict[str, Any]) -> Any:
    reply = client.post(f"/api/{method}", data=form, headers={"Authorization": f"Bearer {TOKEN}"})
    return reply.get_json()


def answer_of_fake(fake: FakeSlack, method: str, form: dict[str, Any]) -> Any:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    return requests.post(fake.base_url + method, data=form, headers=headers, timeout=5).json()


@pytest.mark.parametrize(("method", "form", "code"), CASES)
def test_the_emulator_and_the_fake_answer_the_same(
    emulator: FlaskClient, fake: FakeSlack, method: str, form: dict[str, Any], code: str | None
) -> None:
    answers = [answer_of_emulator(emulator, method, form), answer_of_fake(fake, method, form)]
    assert [(a["ok"], a.get("error")) for a in answers] == [(code is None, code)] * 2


def test_json_fields_are_decoded_and_broken_json_stays_a_string() -> None:
    params = {"blocks": "[1]", "view": "{broken", "text": "[not a field]"}
    assert decode_json_fields(params) == {"blocks": [1], "view": "{broken", "text": "[not a field]"}


def test_the_rules_read_values_as_slack_does() -> None:
    assert history_window({}) == (100, 0.0)
    assert history_window({"limit": "999", "oldest": "12.5"}) == (999, 12.5)
    assert history_window({"limit": "1000"}) == "invalid_limit"
    assert message_problem({"blocks": [{"type": "divider"}] * 50}) is None
    assert [flag(v) for v in (True, "true", "1", 1, "True")] == [True] * 5
    assert [flag(v) for v in (False, "false", "0", None, "")] == [False] * 5


def test_a_private_channel_the_bot_is_not_in_is_one_it_cannot_see():
    assert channel_info("CSECRET", "secret", private=True, member=False) == {
        "ok": False,
        "error": "channel_not_found",
    }
    seen = channel_info("CLOBBY", "lobby", private=False, member=False)["channel"]
    assert (seen["is_member"], seen["is_private"], seen["name"]) == (False, False, "lobby")
    assert channel_info("CTEAM", "team", private=True, member=True)["channel"]["is_member"]
