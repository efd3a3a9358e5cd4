"""`baton socket` as a developer behind a firewall runs it: the real process opens Socket Mode
through apps.connections.open, and answers a slash command that arrives over the WebSocket.

Slack's side is faked at its boundary: the fake Web API hands out a loopback ws:// URL (the
SDK's built-in client speaks plain WebSocket to a port other than 443), and a `websockets`
server there sends the envelopes Slack sends and reads the acknowledgements back.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.server import Server, ServerConnection, serve

from tests.fakeslack import FakeSlack
from tests.processes import stop
from tests.slackbot.harness import HOME

TOKEN = "xoxb-test-token"


@dataclass
class SlackSocket:
    """Sends each queued envelope to whoever connects; keeps the acknowledgements by id."""

    envelopes: list[dict[str, Any]]
    acks: dict[str, dict[str, Any]] = field(default_factory=dict)
    answered: threading.Event = field(default_factory=threading.Event)
    done: threading.Event = field(default_factory=threading.Event)

    def handle(self, ws: ServerConnection) -> None:
        ws.send(json.dumps({"type": "hello", "num_connections": 1}))
        for envelope in self.envelopes:
            ws.send(json.dumps(envelope))
        try:
            while not self.done.is_set():
                try:
                    message = json.loads(ws.recv(timeout=0.5))
                except TimeoutError:
                    continue
                self.acks[message["envelope_id"]] = message
                if len(self.acks) == len(self.envelopes):
                    self.answered.set()
        except ConnectionClosed:
            pass


def _command(envelope_id: str, text: str, team: str = HOME) -> dict[str, Any]:
    payload = {"team_id": team, "user_id": "UDS", "channel_id": "C1", "command": "/mlops"}
    payload |= {"text": text, "trigger_id": f"t-{envelope_id}", "api_app_id": "A1"}
    return {
        "envelope_id": envelope_id,
        "type": "slash_commands",
        "accepts_response_payload": True,
        "payload": payload,
    }


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(token=TOKEN, team_id=HOME) as slack:
        yield slack


@pytest.fixture
def socket_server() -> Iterator[tuple[Server, SlackSocket]]:
    slack = SlackSocket([_command("e-help", "help"), _command("e-foreign", "help", "TOTHER")])
    server = serve(slack.handle, "127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server, slack
    slack.done.set()
    server.shutdown()
    thread.join(timeout=10)


def test_baton_socket_answers_a_command_sent_over_the_websocket(
    tmp_path: Path, fake, socket_server
):
    server, slack = socket_server
    fake.socket_url = f"ws://127.0.0.1:{server.socket.getsockname()[1]}/link"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BATON_"))}
    env |= {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_APP_TOKEN": fake.app_token,
        "SLACK_API_URL": fake.base_url,
        "BATON_DATABASE_URL": f"sqlite:///{tmp_path}/baton.db",
        "BATON_SCHEDULER": "off",
    }
    log = (tmp_path / "socket.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "socket"],
        env=env,
        cwd=tmp_path,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        answered = slack.answered.wait(timeout=60)
    finally:
        stop(proc)
        log.close()
    assert answered, (tmp_path / "socket.log").read_text(errors="replace")
    help_reply = slack.acks["e-help"]["payload"]
    assert help_reply["response_type"] == "ephemeral" and help_reply["text"] == "Baton commands"
    refused = slack.acks["e-foreign"]["payload"]
    assert "not connected to Baton" in refused["text"]
    assert [c.method for c in fake.calls][:2] == ["auth.test", "apps.connections.open"]
