"""The page's own endpoints: its state (long-polled), and each thing a person can do on it.

Every action is turned into the request Slack would send (bot/sandbox/interactions.py);
nothing here touches Baton's database or code. POSTs must be JSON, which a foreign web
page cannot send to this loopback server without a CORS preflight nobody answers.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Blueprint, Response, jsonify, request, send_from_directory

from bot.sandbox.interactions import Interactions, Outcome
from bot.sandbox.mrkdwn import Directory
from bot.sandbox.payloads import Click, state_values
from bot.sandbox.surfaces import conversation_html, home_html, modal_html
from bot.sandbox.workspace import BOT_NAME, Json, View, Workspace, dm_channel

STATIC = Path(__file__).resolve().parent / "static"
HOME = "home"
LONG_POLL_SECONDS = 20.0


Answer = tuple[Response, int]


def icon_blueprint() -> Blueprint:
    """/favicon.ico, which browsers ask for at the root whatever the page links: the page's
    own icon (a baton on Slack's aubergine), so no 404 lands in the log or the console."""
    bp = Blueprint("sandbox_icon", __name__)

    def favicon() -> Response:
        return send_from_directory(STATIC, "favicon.svg", mimetype="image/svg+xml", max_age=86400)

    bp.add_url_rule("/favicon.ico", "favicon", favicon)
    return bp


def ui_blueprint(ws: Workspace, interactions: Interactions) -> Blueprint:
    bp = Blueprint("sandbox_ui", __name__)
    routes = _Routes(ws, interactions)
    bp.add_url_rule("", "page", routes.page)
    bp.add_url_rule("/", "page_slash", routes.page)
    bp.add_url_rule("/ui/state", "state", routes.state)
    for name in ("compose", "action", "submit", "close", "home"):
        bp.add_url_rule(f"/ui/{name}", name, getattr(routes, name), methods=["POST"])
    return bp


class _Routes:
    def __init__(self, ws: Workspace, interactions: Interactions) -> None:
        self.ws, self.slack = ws, interactions

    def page(self) -> Response:
        return send_from_directory(STATIC, "sandbox.html", max_age=0)

    def state(self) -> Response:
        user = request.args.get("user", "")
        if user not in self.ws.people:
            user = next(iter(self.ws.people))
        since = _int(request.args.get("since"), -1)
        if since >= self.ws.version:  # nothing new yet: hold the request until a change
            self.ws.wait_for_change(since, LONG_POLL_SECONDS)
        return jsonify(page_state(self.ws, user, request.args.get("conv", "")))

    def compose(self) -> Answer:
        body, user = self._body()
        channel = str(body.get("channel", ""))
        if user is None or channel not in self.ws.channels:
            return _refused("unknown person or conversation")
        return _answer(self.slack.compose(user, channel, str(body.get("text", ""))))

    def action(self) -> Answer:
        body, user = self._body()
        click = _click(self.ws, user, body) if user else None
        if user is None or click is None:
            return _refused("that is no longer there")
        return _answer(self.slack.click(user, click))

    def submit(self) -> Answer:
        body, user = self._body()
        view = _modal(self.ws, user, str(body.get("view_id", ""))) if user else None
        if user is None or view is None:
            return _refused("that form is closed")
        typed = {str(k): str(v) for k, v in (body.get("values") or {}).items()}
        return _answer(self.slack.submit(user, view, state_values(view, typed)))

    def close(self) -> Answer:
        body, user = self._body()
        view = _modal(self.ws, user, str(body.get("view_id", ""))) if user else None
        if user is not None and view is not None:
            self.slack.close(user, view)
        return _answer(Outcome())

    def home(self) -> Answer:
        _, user = self._body()
        if user is None:
            return _refused("unknown person")
        return _answer(self.slack.open_home(user))

    def _body(self) -> tuple[Json, str | None]:
        """The JSON body and its person, if known; a non-JSON POST names nobody."""
        body = request.get_json(silent=True)
        body = body if isinstance(body, dict) else {}
        user = str(body.get("user", ""))
        return body, (user if user in self.ws.people and request.is_json else None)


def page_state(ws: Workspace, user: str, conv: str) -> Json:
    """Everything the page shows, read in one go so no change lands half-way through."""
    return ws.read(lambda: _page_state(ws, user, conv))


def _page_state(ws: Workspace, user: str, conv: str) -> Json:
    names = ws.directory()
    dm = dm_channel(user)
    channels = sorted((c for c in ws.channels.values() if c.dm_of is None), key=lambda c: c.name)
    if conv != HOME and conv not in (dm, *(c.id for c in channels)):
        conv = channels[0].id if channels else dm
    version = ws.version
    person = ws.people[user]
    return {
        "version": version,
        "me": {"id": person.id, "name": person.name, "title": person.title},
        "people": [{"id": p.id, "name": p.name, "title": p.title} for p in ws.people.values()],
        "channels": [
            {"id": c.id, "name": c.name, "unread": ws.unread(c.id, user)} for c in channels
        ],
        "dm": {"id": dm, "name": BOT_NAME, "unread": ws.unread(dm, user)},
        "conversation": _conversation(ws, user, conv, names),
        "modal": _modal_state(ws, user, names),
    }


def _conversation(ws: Workspace, user: str, conv: str, names: Directory) -> Json:
    if conv == HOME:
        home = ws.read(lambda: ws.homes.get(user))
        return {"id": HOME, "title": f"{BOT_NAME} · Home", "html": home_html(home, names)}
    html = ws.read(lambda: conversation_html(ws, conv, user, names))
    ws.mark_read(conv, user)
    channel = ws.channels[conv]
    title = channel.name if channel.dm_of else f"#{channel.name}"
    return {"id": conv, "title": title, "html": html}


def _modal_state(ws: Workspace, user: str, names: Directory) -> Json | None:
    def top() -> Json | None:
        stack = ws.modals.get(user) or []
        if not stack:
            return None
        view = stack[-1]
        return {"id": view.id, "hash": view.hash, "html": modal_html(view, names)}

    return ws.read(top)


def _modal(ws: Workspace, user: str | None, view_id: str) -> View | None:
    stack = ws.read(lambda: list(ws.modals.get(user or "", [])))
    return next((v for v in stack if v.id == view_id), None)


def _click(ws: Workspace, user: str, body: Json) -> Click | None:
    block_id, action_id = str(body.get("block_id", "")), str(body.get("action_id", ""))
    selected = body.get("selected")
    selected = str(selected) if selected is not None else None
    if body.get("surface") == "message":
        message = ws.find_message(str(body.get("channel", "")), str(body.get("ts", "")))
        if message is None or message.visible_to not in (None, user):
            return None
        return Click(block_id, action_id, message=message, selected=selected)
    view_id = str(body.get("view_id", ""))
    home = ws.read(lambda: ws.homes.get(user))
    view = home if home is not None and home.id == view_id else _modal(ws, user, view_id)
    return Click(block_id, action_id, view=view, selected=selected) if view else None


def _answer(outcome: Outcome) -> Answer:
    body: dict[str, Any] = {"ok": outcome.ok}
    if outcome.problem:
        body["problem"] = outcome.problem
    if outcome.errors:
        body["errors"] = outcome.errors
    return jsonify(body), 200


def _refused(problem: str) -> Answer:
    return jsonify(ok=False, problem=problem), 400


def _int(value: str | None, default: int) -> int:
    try:
        return int(value) if value is not None else default
    except ValueError:
        return default
