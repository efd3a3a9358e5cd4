"""Baton over real HTTP: a werkzeug server on loopback, requests signed exactly as Slack signs."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import requests
from slack_sdk.signature import SignatureVerifier
from werkzeug.serving import make_server

from bot.blocks import limits
from bot.sandbox.payloads import state_entry
from bot.server import Baton
from tests.serving import stop_serving

SECRET = "test-signing-secret"
HOME = "THOME"


@dataclass
class SlackSigner:
    secret: str = SECRET

    def headers(self, body: str, timestamp: int | None = None) -> dict[str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        signature = SignatureVerifier(self.secret).generate_signature(timestamp=ts, body=body)
        return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


@dataclass
class BotClient:
    baton: Baton
    fake: Any
    url: str = ""
    signer: SlackSigner = field(default_factory=SlackSigner)
    _triggers: int = 0

    # -- raw ---------------------------------------------------------------------------------
    def post(
        self,
        body: str,
        content_type: str = "application/x-www-form-urlencoded",
        headers: dict[str, str] | None = None,
        timestamp: int | None = None,
    ) -> requests.Response:
        sent = {
            "Content-Type": content_type,
            **self.signer.headers(body, timestamp),
            **(headers or {}),
        }
        return requests.post(
            f"{self.url}/slack/events", data=body.encode(), headers=sent, timeout=10
        )

    def trigger(self) -> str:
        self._triggers += 1
        return f"trig-{self._triggers}"

    # -- what Slack sends --------------------------------------------------------------------
    def command(
        self,
        text: str,
        *,
        user: str,
        channel: str = "CCHURN",
        team: str = HOME,
        slash: str = "/mlops",
    ) -> requests.Response:
        body = urlencode(
            {
                "token": "legacy",
                "team_id": team,
                "team_domain": "acme",
                "channel_id": channel,
                "channel_name": "churn",
                "user_id": user,
                "user_name": user.lower(),
                "command": slash,
                "text": text,
                "api_app_id": "A1",
                "response_url": self.fake.response_url(f"cmd-{user}"),
                "trigger_id": self.trigger(),
            }
        )
        return self.post(body)

    def reply(self, text: str, *, user: str, **kw: Any) -> dict[str, Any]:
        """The ephemeral answer a command's acknowledgement carries."""
        response = self.command(text, user=user, **kw)
        assert response.status_code == 200, response.text
        reply = response.json() if response.text else {}
        assert not limits.violations_in_message(reply), limits.violations_in_message(reply)
        return reply

    def answer(self, text: str, *, user: str, **kw: Any) -> dict[str, Any]:
        """A command's one answer: on its acknowledgement, or, when that is empty (an answer
        that waits on Slack, like history naming people), the response that follows it."""
        answered = len(self.fake.responses())
        reply = self.reply(text, user=user, **kw)
        if reply:
            return reply
        self.fake.wait_for(lambda: len(self.fake.responses()) > answered)
        (answer,) = self.fake.responses()[answered:]
        return answer

    def click(
        self,
        action_id: str,
        value: str,
        *,
        user: str,
        team: str = HOME,
        message: dict[str, Any] | None = None,
        home: bool = False,
        ephemeral: bool = False,
    ) -> requests.Response:
        """ephemeral: a click on an ephemeral answer, which Slack sends without the message."""
        button = {"type": "button", "action_id": action_id, "value": value}
        payload = self._block_actions(user, team, {**button, "block_id": f"handoff.decide.{value}"})
        if home:
            payload["view"] = {"type": "home", "id": "VHOME"}
        else:
            channel = (message or {}).get("channel", "CCHURN")
            payload["channel"] = {"id": channel}
            payload["container"] = {
                "type": "message",
                "channel_id": channel,
                "message_ts": (message or {}).get("ts", "1.0"),
            }
            if ephemeral:
                payload["container"]["is_ephemeral"] = True
            else:
                payload["message"] = {"ts": (message or {}).get("ts", "1.0"), "text": ""}
            payload["response_url"] = self.fake.response_url(f"click-{user}")
        return self.post(urlencode({"payload": json.dumps(payload)}))

    def pick(
        self, action_id: str, value: str, *, block_id: str, user: str, channel: str
    ) -> requests.Response:
        """A choice in a static select of an ephemeral message, as Slack sends it."""
        option = {"text": {"type": "plain_text", "text": value}, "value": value}
        picked = {"type": "static_select", "action_id": action_id, "selected_option": option}
        payload = self._block_actions(user, HOME, {**picked, "block_id": block_id})
        payload["channel"] = {"id": channel}
        payload["container"] = {"type": "message", "channel_id": channel, "is_ephemeral": True}
        payload["response_url"] = self.fake.response_url(f"pick-{user}", user=user)
        return self.post(urlencode({"payload": json.dumps(payload)}))

    def _block_actions(self, user: str, team: str, action: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "block_actions",
            "team": {"id": team, "domain": "acme"},
            "user": {"id": user, "team_id": team},
            "api_app_id": "A1",
            "trigger_id": self.trigger(),
            "actions": [{**action, "action_ts": "1"}],
        }

    def submit(
        self,
        view: dict[str, Any],
        values: dict[str, str],
        *,
        user: str,
        team: str = HOME,
        forged: dict[str, dict[str, Any]] | None = None,
    ) -> requests.Response:
        """`forged`: block_id → element state sent as given (what no Slack client would send)."""
        state = _state(view, values) | {k: {"value": v} for k, v in (forged or {}).items()}
        return self.submit_state(view, state, user=user, team=team)

    def submit_state(
        self, view: dict[str, Any], state: dict[str, Any], *, user: str, team: str = HOME
    ) -> requests.Response:
        """A submission whose state Slack reports as given (pickers, selects, text)."""
        payload = {
            "type": "view_submission",
            "team": {"id": team, "domain": "acme"},
            "user": {"id": user, "team_id": team},
            "api_app_id": "A1",
            "trigger_id": self.trigger(),
            "view": {**view, "id": "V1", "state": {"values": state}},
        }
        return self.post(urlencode({"payload": json.dumps(payload)}))

    def shortcut(self, callback_id: str, *, user: str, team: str = HOME) -> requests.Response:
        payload = {
            "type": "shortcut",
            "team": {"id": team, "domain": "acme"},
            "user": {"id": user, "team_id": team},
            "api_app_id": "A1",
            "callback_id": callback_id,
            "action_ts": "1",
            "trigger_id": self.trigger(),
        }
        return self.post(urlencode({"payload": json.dumps(payload)}))

    def event(
        self,
        event: dict[str, Any],
        *,
        event_id: str,
        team: str = HOME,
        headers: dict[str, str] | None = None,
    ) -> requests.Response:
        body = json.dumps(
            {
                "token": "legacy",
                "team_id": team,
                "api_app_id": "A1",
                "type": "event_callback",
                "event_id": event_id,
                "event_time": int(time.time()),
                "event": event,
            }
        )
        return self.post(body, "application/json", headers)

    # -- after the request -------------------------------------------------------------------
    def deliver(self) -> int:
        """Run the real outbox deliverer until nothing is due (deterministic, no waiting)."""
        total = 0
        while sent := self.baton.deliverer.deliver_due():
            total += sent
        return total


def _state(view: dict[str, Any], values: dict[str, str]) -> dict[str, Any]:
    """view.state.values as Slack reports it: each value under its input's element type
    (a block the view lacks is typed text, so tests can send what no form asked for)."""
    elements = {
        b["block_id"]: b["element"] for b in view.get("blocks", []) if b.get("type") == "input"
    }
    return {
        key: {"value": state_entry(elements.get(key, {"type": "plain_text_input"}), value)}
        for key, value in values.items()
    }


class Server:
    def __init__(self, app: Any) -> None:
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        # __exit__ wakes the loop (stop_serving), so its poll never delays a test's end.
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Server:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        stop_serving(self._server)
        self._thread.join(timeout=5)
        self._server.server_close()
