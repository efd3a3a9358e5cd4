"""What the emulated Slack sends to Baton, signed like Slack, and what it does with the answers.

Each person's act on the page becomes the request Slack would send to Baton's real
/slack/events: a slash command (with a response_url back to the emulator), block_actions,
view_submission, or an app_home_opened event. Acknowledgements are applied as Slack applies
them: a command's body becomes a reply, a submission's `response_action` keeps the modal open
with inline errors, replaces it, or closes it.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
from slack_sdk.signature import SignatureVerifier

from bot.sandbox import payloads
from bot.sandbox.workspace import BOT_USER, SLACKBOT, Hook, Json, Message, View, Workspace

log = logging.getLogger(__name__)
ACK_SECONDS = 3.0  # Slack gives up on an acknowledgement after three seconds


@dataclass(frozen=True)
class Outcome:
    """What the page is told: fine, or the problem a person would see in Slack."""

    ok: bool = True
    problem: str | None = None
    errors: dict[str, str] | None = None


class Interactions:
    def __init__(self, ws: Workspace, signing_secret: str, base_url: str, command: str) -> None:
        self.ws, self.command_name = ws, command
        self.base_url = base_url.rstrip("/")
        self._verifier = SignatureVerifier(signing_secret)
        self._events = 0

    # -- the composer --------------------------------------------------------------------------
    def compose(self, user: str, channel: str, text: str) -> Outcome:
        text = text.strip()
        if not text:
            return Outcome(False, "Type a message or a command.")
        if not text.startswith("/"):
            if self.ws.channels[channel].dm_of is not None:  # manifest: messages tab read-only
                return Outcome(False, "Sending messages to this app has been turned off.")
            self._post_as(user, channel, payloads.escape_typed(self.ws, text))
            return Outcome()
        name, _, rest = text.partition(" ")
        if name != self.command_name:
            self._slackbot(user, channel, f"`{name}` is not a valid command here.")
            return Outcome()
        return self.slash_command(user, channel, rest.strip())

    def slash_command(self, user: str, channel: str, text: str) -> Outcome:
        hook_id = self.ws.add_hook(Hook(user, channel))
        body = payloads.slash_command(
            self.ws, user, channel, self.command_name, text, self._hook_url(hook_id)
        )
        response, problem = self._send(urlencode(body), "application/x-www-form-urlencoded")
        if problem or response is None:
            self._slackbot(user, channel, f"{self.command_name} failed with the error “{problem}”")
            return Outcome(False, problem)
        reply = _json(response)
        if reply.get("text") or reply.get("blocks"):
            if reply.get("response_type") == "in_channel":  # the invocation shows, as in Slack
                self._post_as(user, channel, f"{self.command_name} {text}")
            self.respond(hook_id, reply)
        return Outcome()

    # -- clicks and forms ----------------------------------------------------------------------
    def click(self, user: str, target: payloads.Click) -> Outcome:
        if payloads.find_element(target) is None:
            return Outcome(False, "That button or menu is no longer there.")
        hook_id = None
        if target.message is not None:
            hook = Hook(user, target.message.channel, target.message.ts)
            hook_id = self.ws.add_hook(hook)
        url = self._hook_url(hook_id) if hook_id else None
        payload = payloads.block_actions(self.ws, user, target, url)
        return self._interaction(payload)[1]

    def submit(self, user: str, view: View, values: dict[str, Json]) -> Outcome:
        missing = payloads.missing_required(view, values)
        if missing:  # Slack's client refuses these itself, before Baton hears anything
            self.ws.change(lambda: _set_form(view, missing, values))
            return Outcome(False, "Some required fields are empty.", missing)
        reply, outcome = self._interaction(payloads.view_submission(self.ws, user, view, values))
        if outcome.ok:
            return self._apply_submission(user, view, values, reply)
        return outcome

    def _apply_submission(
        self, user: str, view: View, values: dict[str, Json], reply: Json
    ) -> Outcome:
        action = reply.get("response_action")
        if action == "errors":
            errors = {str(k): str(v) for k, v in (reply.get("errors") or {}).items()}
            self.ws.change(lambda: _set_form(view, errors, values))
            return Outcome(False, "Baton found problems in the form.", errors)
        if action in ("update", "push") and isinstance(reply.get("view"), dict):
            replacement = View(
                self.ws.next_id("V"), user, dict(reply["view"]), self.ws.next_id("h")
            )
            self.ws.change(lambda: _stack_view(self.ws, user, view, replacement, action))
            return Outcome()
        self.ws.change(lambda: _close(self.ws, user, view, everything=action == "clear"))
        return Outcome()

    def close(self, user: str, view: View) -> None:
        self.ws.change(lambda: _close(self.ws, user, view, everything=False))

    def open_home(self, user: str) -> Outcome:
        self._events += 1
        event_id = f"EvSANDBOX{self._events:06d}{int(time.time())}"
        body = payloads.app_home_opened(self.ws, user, event_id)
        response, problem = self._send(json.dumps(body), "application/json")
        return Outcome(response is not None and problem is None, problem)

    # -- response URLs (also where a command's acknowledgement lands) --------------------------
    def respond(self, hook_id: str, reply: Json) -> bool:
        hook = self.ws.read(lambda: self.ws.hooks.get(hook_id))
        if hook is None:
            return False
        original = self.ws.find_message(hook.channel, hook.message_ts) if hook.message_ts else None
        self.ws.change(lambda: _apply_reply(self.ws, hook, original, reply))
        return True

    # -- plumbing --------------------------------------------------------------------------
    def _interaction(self, payload: Json) -> tuple[Json, Outcome]:
        body = urlencode({"payload": json.dumps(payload)})
        response, problem = self._send(body, "application/x-www-form-urlencoded")
        if problem or response is None:
            return {}, Outcome(False, f"Baton did not accept that ({problem}).")
        return _json(response), Outcome()

    def _send(self, body: str, content_type: str) -> tuple[requests.Response | None, str | None]:
        timestamp = str(int(time.time()))
        headers = {
            "Content-Type": content_type,
            "X-Slack-Request-Timestamp": timestamp,
            "X-Slack-Signature": self._verifier.generate_signature(timestamp=timestamp, body=body),
        }
        url = f"{self.base_url}/slack/events"
        try:
            response = requests.post(url, data=body.encode(), headers=headers, timeout=ACK_SECONDS)
        except requests.Timeout:
            return None, "operation_timeout"
        except requests.RequestException as exc:
            log.warning("Baton unreachable at %s: %s", url, exc)
            return None, "dispatch_failed"
        if response.status_code != 200:
            log.warning("Baton answered %s: %s", response.status_code, response.text[:200])
            return response, "dispatch_failed"
        return response, None

    def _hook_url(self, hook_id: str) -> str:
        return f"{self.base_url}/sandbox/response/{hook_id}"

    def _post_as(self, user: str, channel: str, text: str) -> None:
        message = Message(channel, self.ws.next_ts(), text, [], user)
        self.ws.change(lambda: self.ws.messages.append(message))

    def _slackbot(self, user: str, channel: str, text: str) -> None:
        message = Message(channel, self.ws.next_ts(), text, [], SLACKBOT, visible_to=user)
        self.ws.change(lambda: self.ws.messages.append(message))


def _json(response: requests.Response) -> Json:
    try:
        body = response.json() if response.content else {}
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _apply_reply(ws: Workspace, hook: Hook, original: Message | None, reply: Json) -> None:
    """Slack's response_url rules: delete or replace the original, else a new message."""
    if original is not None and _flag(reply.get("delete_original")):
        ws.messages.remove(original)
        return
    if original is not None and _flag(reply.get("replace_original")):
        original.text, original.blocks = (
            str(reply.get("text") or ""),
            list(reply.get("blocks") or []),
        )
        original.edited = True
        return
    visible_to = None if reply.get("response_type") == "in_channel" else hook.user
    text, blocks = str(reply.get("text") or ""), list(reply.get("blocks") or [])
    ws.messages.append(Message(hook.channel, ws.next_ts(), text, blocks, BOT_USER, visible_to))


def _flag(value: Any) -> bool:
    return value in (True, "true", "1", 1)


def _set_form(view: View, errors: dict[str, str], values: dict[str, Json]) -> None:
    view.errors, view.values = errors, values


def _stack_view(ws: Workspace, user: str, current: View, new: View, action: str) -> None:
    stack = ws.modals.setdefault(user, [])
    if action == "update" and current in stack:
        stack[stack.index(current)] = new
    else:
        stack.append(new)


def _close(ws: Workspace, user: str, view: View, *, everything: bool) -> None:
    stack = ws.modals.get(user, [])
    if everything:
        stack.clear()
    elif view in stack:
        del stack[stack.index(view) :]
