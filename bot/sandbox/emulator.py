"""The Slack Web API Baton calls, answered from the in-memory workspace, as a Flask blueprint.

Baton reaches it through SLACK_API_URL = http://127.0.0.1:PORT/sandbox/api/ like any Slack:
same WebClient, same JSON, same error codes for the mistakes Slack refuses (unknown message,
spent or stale trigger_id, hash conflict, too many blocks). Response URLs handed out with
slash commands and clicks come back to /sandbox/response/<id>.
"""

from __future__ import annotations

import copy
from collections.abc import Callable

from flask import Blueprint, Response, jsonify, request

from bot.sandbox.workspace import (
    BOT_ID,
    BOT_NAME,
    BOT_USER,
    TEAM_ID,
    TEAM_NAME,
    Json,
    Message,
    View,
    Workspace,
    dm_channel,
)

# What Slack refuses, shared with the test fake (tests/fakeslack.py).
from bot.slack_api_rules import (
    channel_info,
    decode_json_fields,
    error,
    flag,
    history_window,
    message_problem,
    metadata_problem,
    view_problem,
)


class WebApi:
    def __init__(self, workspace: Workspace, token: str) -> None:
        self.ws, self.token = workspace, token
        self.metadata: dict[tuple[str, str], Json] = {}  # (channel, ts) → message metadata
        self.methods: dict[str, Callable[[Json], Json]] = {
            "auth.test": self.auth_test,
            "chat.postMessage": self.post_message,
            "chat.update": self.update_message,
            "chat.delete": self.delete_message,
            "chat.postEphemeral": self.post_ephemeral,
            "conversations.join": self.join,
            "conversations.open": self.open_conversation,
            "conversations.history": self.history,
            "conversations.info": self.conversation_info,
            "users.info": self.user_info,
            "views.open": self.open_view,
            "views.push": self.push_view,
            "views.update": self.update_view,
            "views.publish": self.publish_view,
        }

    def call(self, method: str, params: Json, token: str) -> Json:
        if not token:
            return error("not_authed")
        if token != self.token:
            return error("invalid_auth")
        handler = self.methods.get(method)
        return handler(params) if handler else error("unknown_method")

    # -- auth, users, conversations ------------------------------------------------------------
    def auth_test(self, p: Json) -> Json:
        return {
            "ok": True,
            "url": "http://127.0.0.1/sandbox/",
            "team": TEAM_NAME,
            "user": BOT_NAME.lower(),
            "team_id": TEAM_ID,
            "user_id": BOT_USER,
            "bot_id": BOT_ID,
            "is_enterprise_install": False,
        }

    def user_info(self, p: Json) -> Json:
        person = self.ws.people.get(str(p.get("user") or ""))
        if person is None:
            return error("user_not_found")
        profile = {"real_name": person.name, "display_name": person.handle, "title": person.title}
        return {
            "ok": True,
            "user": {
                "id": person.id,
                "team_id": TEAM_ID,
                "name": person.handle,
                "real_name": person.name,
                "is_bot": False,
                "profile": profile,
            },
        }

    def join(self, p: Json) -> Json:
        channel = self.ws.channels.get(str(p.get("channel") or ""))
        if channel is None:
            return error("channel_not_found")
        return {"ok": True, "channel": {"id": channel.id, "name": channel.name, "is_member": True}}

    def conversation_info(self, p: Json) -> Json:
        channel = self.ws.channels.get(str(p.get("channel") or ""))
        if channel is None or channel.dm_of is not None:
            return error("channel_not_found")
        return channel_info(channel.id, channel.name, private=False, member=True)

    def open_conversation(self, p: Json) -> Json:
        users = [u.strip() for u in str(p.get("users") or "").split(",") if u.strip()]
        if len(users) != 1 or users[0] not in self.ws.people:
            return error("user_not_found")
        return {"ok": True, "channel": {"id": dm_channel(users[0]), "is_im": True}}

    # -- chat.* ----------------------------------------------------------------------------
    def post_message(self, p: Json) -> Json:
        channel = self._conversation(str(p.get("channel") or ""))
        if channel is None:
            return error("channel_not_found")
        if problem := message_problem(p) or metadata_problem(p.get("metadata")):
            return error(problem)
        message = Message(channel, self.ws.next_ts(), _text(p), _blocks(p), BOT_USER)
        if p.get("metadata"):
            self.metadata[(channel, message.ts)] = dict(p["metadata"])
        self.ws.change(lambda: self.ws.messages.append(message))
        return {"ok": True, "channel": channel, "ts": message.ts, "message": message.as_slack()}

    def history(self, p: Json) -> Json:
        """One page, newest first; metadata only when include_all_metadata is set."""
        channel = str(p.get("channel") or "")
        if channel not in self.ws.channels:  # a DM is read by its D… id, not the user's
            return error("channel_not_found")
        window = history_window(p)
        if isinstance(window, str):
            return error(window)
        limit, oldest = window
        found = self.ws.read(
            lambda: [
                m
                for m in self.ws.messages
                if m.channel == channel and m.visible_to is None and float(m.ts) > oldest
            ]
        )
        newest = sorted(found, key=lambda m: float(m.ts), reverse=True)[:limit]
        with_metadata = flag(p.get("include_all_metadata"))
        messages = [self._described(m, with_metadata) for m in newest]
        return {"ok": True, "messages": messages, "has_more": len(found) > limit}

    def _described(self, message: Message, with_metadata: bool) -> Json:
        found = message.as_slack()
        metadata = self.metadata.get((message.channel, message.ts))
        if with_metadata and metadata:
            found["metadata"] = copy.deepcopy(metadata)
        return found

    def post_ephemeral(self, p: Json) -> Json:
        channel = self._conversation(str(p.get("channel") or ""))
        user = str(p.get("user") or "")
        if channel is None:
            return error("channel_not_found")
        if user not in self.ws.people:
            return error("user_not_found")
        if problem := message_problem(p):
            return error(problem)
        message = Message(channel, self.ws.next_ts(), _text(p), _blocks(p), BOT_USER, user)
        self.ws.change(lambda: self.ws.messages.append(message))
        return {"ok": True, "message_ts": message.ts}

    def update_message(self, p: Json) -> Json:
        channel, ts = str(p.get("channel") or ""), str(p.get("ts") or "")
        message = self.ws.find_message(channel, ts)
        if message is None or message.visible_to is not None:
            return error("message_not_found")
        if message.user != BOT_USER:
            return error("cant_update_message")
        if problem := message_problem({"text": message.text, **p}):
            return error(problem)

        def edit() -> None:
            if "text" in p:
                message.text = _text(p)
            if "blocks" in p:
                message.blocks = _blocks(p)
            message.edited = True

        self.ws.change(edit)
        return {"ok": True, "channel": channel, "ts": ts, "text": message.text}

    def delete_message(self, p: Json) -> Json:
        message = self.ws.find_message(str(p.get("channel") or ""), str(p.get("ts") or ""))
        if message is None:
            return error("message_not_found")
        self.ws.change(lambda: self.ws.messages.remove(message))
        return {"ok": True, "channel": message.channel, "ts": message.ts}

    def _conversation(self, target: str) -> str | None:
        """A channel id, or a person's id standing for their DM with the app (as in Slack)."""
        if target in self.ws.people:
            return dm_channel(target)
        return target if target in self.ws.channels else None

    # -- views.* ---------------------------------------------------------------------------
    def open_view(self, p: Json) -> Json:
        user, problem = self.ws.spend_trigger(str(p.get("trigger_id") or ""))
        problem = problem or view_problem(p.get("view"), "modal")
        if user is None or problem:
            return error(problem or "invalid_trigger_id")
        view = self._new_view(user, p["view"])
        self.ws.change(lambda: self.ws.modals.__setitem__(user, [view]))
        return {"ok": True, "view": view.as_slack()}

    def push_view(self, p: Json) -> Json:
        user, problem = self.ws.spend_trigger(str(p.get("trigger_id") or ""))
        problem = problem or view_problem(p.get("view"), "modal")
        if user is None or problem:
            return error(problem or "invalid_trigger_id")
        if not self.ws.modals.get(user):
            return error("not_found")  # views.push needs an open modal to push onto
        view = self._new_view(user, p["view"])
        self.ws.change(lambda: self.ws.modals[user].append(view))
        return {"ok": True, "view": view.as_slack()}

    def update_view(self, p: Json) -> Json:
        view = self._find_view(p)
        if view is None:
            return error("not_found")
        if p.get("hash") and p["hash"] != view.hash:
            return error("hash_conflict")
        if problem := view_problem(p.get("view"), view.kind):
            return error(problem)

        def replace() -> None:
            view.payload, view.hash, view.errors = dict(p["view"]), self.ws.next_id("h"), {}

        self.ws.change(replace)
        return {"ok": True, "view": view.as_slack()}

    def publish_view(self, p: Json) -> Json:
        user = str(p.get("user_id") or "")
        if user not in self.ws.people:
            return error("user_not_found")
        if problem := view_problem(p.get("view"), "home"):
            return error(problem)
        current = self.ws.read(lambda: self.ws.homes.get(user))
        if current is not None and p.get("hash") and p["hash"] != current.hash:
            return error("hash_conflict")
        view = self._new_view(user, p["view"], current.id if current else None)
        self.ws.change(lambda: self.ws.homes.__setitem__(user, view))
        return {"ok": True, "view": view.as_slack()}

    def _new_view(self, user: str, payload: Json, view_id: str | None = None) -> View:
        return View(view_id or self.ws.next_id("V"), user, dict(payload), self.ws.next_id("h"))

    def _find_view(self, p: Json) -> View | None:
        wanted_id, external = p.get("view_id"), p.get("external_id")
        views = self.ws.read(
            lambda: (
                [v for stack in self.ws.modals.values() for v in stack]
                + list(self.ws.homes.values())
            )
        )
        for view in views:
            if (wanted_id and view.id == wanted_id) or (
                external and view.payload.get("external_id") == external
            ):
                return view
        return None


def _text(p: Json) -> str:
    return str(p.get("text") or "")


def _blocks(p: Json) -> list[Json]:
    blocks = p.get("blocks")
    return list(blocks) if isinstance(blocks, list) else []


def request_params() -> Json:
    """Query, form and JSON parameters as slack_sdk sends them (JSON fields may be strings)."""
    params: Json = dict(request.args)
    if request.is_json:
        body = request.get_json(silent=True)
        params.update(body if isinstance(body, dict) else {})
    else:
        params.update(request.form.to_dict())
    return decode_json_fields(params)


def api_blueprint(api: WebApi, respond: Callable[[str, Json], bool]) -> Blueprint:
    """/api/<method> for the Web API; /response/<id> for response_url posts."""
    bp = Blueprint("sandbox_api", __name__)

    @bp.route("/api/<method>", methods=["GET", "POST"])
    def web_api(method: str) -> Response:
        params = request_params()
        token = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
        return jsonify(api.call(method, params, token or str(params.get("token") or "")))

    @bp.post("/response/<hook_id>")
    def response_url(hook_id: str) -> tuple[Response, int]:
        if not respond(hook_id, request_params()):
            return jsonify(error("expired_url")), 404
        return jsonify(ok=True), 200

    return bp
