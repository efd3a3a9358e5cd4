"""The bodies Slack sends to an app, built from the emulated workspace's state.

Shapes follow Slack's documentation for slash commands, block_actions, view_submission and
the Events API envelope. Values come from the stored blocks, not from the page: a click
names a block and an action, and the button's value is read back here, as Slack does.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass

from bot.sandbox.render import REQUIRED_MISSING
from bot.sandbox.workspace import BOT_USER, TEAM_ID, Json, Message, View, Workspace, dm_channel

APP_ID = "ASANDBOX"
LEGACY_TOKEN = "sandbox-verification-token"  # deprecated field Slack still sends; unused
_MENTION = re.compile(r"(?<![\w@<|])@([a-z0-9._-]+)", re.IGNORECASE)
_CHANNEL = re.compile(r"(?<![\w#<|])#([a-z0-9_-]+)")
_BROADCAST = {"here", "channel", "everyone"}


# Where each kind of input reports its answer in a view's state.


@dataclass(frozen=True)
class Click:
    """A person acting on an interactive element: where it is and, for inputs, their choice."""

    block_id: str
    action_id: str
    message: Message | None = None
    view: View | None = None
    selected: str | None = None  # a select's value or a date picker's date


def escape_typed(ws: Workspace, text: str) -> str:
    """Typed text as Slack forwards it with escaping on: entities, then people and channels
    named by handle become `<@U…|handle>` and `<#C…|name>` (the manifest's should_escape)."""
    escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    def person(m: re.Match[str]) -> str:
        word = m.group(1)
        if word.lower() in _BROADCAST:
            return f"<!{word.lower()}>"
        found = ws.person_by_handle(word)
        return f"<@{found.id}|{found.handle}>" if found else m.group(0)

    def channel(m: re.Match[str]) -> str:
        found = ws.channel_by_name(m.group(1))
        return f"<#{found.id}|{found.name}>" if found else m.group(0)

    return _CHANNEL.sub(channel, _MENTION.sub(person, escaped))


def _user(ws: Workspace, user: str) -> Json:
    person = ws.people.get(user)
    handle = person.handle if person else user.lower()
    return {"id": user, "username": handle, "name": handle, "team_id": TEAM_ID}


def _team() -> Json:
    return {"id": TEAM_ID, "domain": "sandbox"}


def slash_command(
    ws: Workspace, user: str, channel: str, command: str, text: str, response_url: str
) -> dict[str, str]:
    found = ws.channels.get(channel)
    return {
        "token": LEGACY_TOKEN,
        "team_id": TEAM_ID,
        "team_domain": "sandbox",
        "channel_id": channel,
        "channel_name": "directmessage" if found and found.dm_of else (found.name if found else ""),
        "user_id": user,
        "user_name": _user(ws, user)["name"],
        "command": command,
        "text": escape_typed(ws, text),
        "api_app_id": APP_ID,
        "is_enterprise_install": "false",
        "response_url": response_url,
        "trigger_id": ws.issue_trigger(user),
    }


def block_actions(ws: Workspace, user: str, click: Click, response_url: str | None) -> Json:
    payload: Json = {
        "type": "block_actions",
        "team": _team(),
        "user": _user(ws, user),
        "api_app_id": APP_ID,
        "token": LEGACY_TOKEN,
        "trigger_id": ws.issue_trigger(user),
        "enterprise": None,
        "is_enterprise_install": False,
        "actions": [action(click)],
    }
    if click.message is not None:
        m = click.message
        payload["container"] = {
            "type": "message",
            "message_ts": m.ts,
            "channel_id": m.channel,
            "is_ephemeral": m.visible_to is not None,
        }
        payload["channel"] = {"id": m.channel, "name": _channel_name(ws, m.channel)}
        if m.visible_to is None:
            payload["message"] = m.as_slack()
        payload["state"] = {"values": {}}
        payload["response_url"] = response_url
    elif click.view is not None:
        payload["container"] = {"type": "view", "view_id": click.view.id}
        payload["view"] = click.view.as_slack()
    return payload


def _channel_name(ws: Workspace, channel: str) -> str:
    found = ws.channels.get(channel)
    return "directmessage" if found is None or found.dm_of else found.name


def action(click: Click) -> Json:
    element = find_element(click) or {}
    kind = str(element.get("type", "button"))
    found: Json = {
        "type": kind,
        "action_id": click.action_id,
        "block_id": click.block_id,
        "action_ts": f"{time.time():.6f}",
    }
    if kind == "button":
        found["text"] = element.get("text")
        found["value"] = element.get("value")
        if element.get("style"):
            found["style"] = element["style"]
    elif kind == "static_select":
        found["selected_option"] = option_for(element, click.selected)
    elif kind == "datepicker":
        found["selected_date"] = click.selected or None
    return found


def find_element(click: Click) -> Json | None:
    """The element a click names, from the blocks Slack holds (never from the page)."""
    if click.message is not None:
        blocks = click.message.blocks
    else:
        blocks = (click.view.payload.get("blocks") if click.view else None) or []
    for block in blocks:
        if str(block.get("block_id") or "") != click.block_id:
            continue
        candidates = [*(block.get("elements") or []), block.get("accessory") or {}]
        for element in candidates:
            if isinstance(element, dict) and element.get("action_id") == click.action_id:
                return element
    return None


def option_for(element: Json, value: str | None) -> Json | None:
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += list(group.get("options") or [])
    return next((o for o in options if o.get("value") == value), None)


def state_values(view: View, typed: dict[str, str]) -> dict[str, Json]:
    """The view's state as Slack reports it, for each input block, from what was typed."""
    values: dict[str, Json] = {}
    for block in _inputs(view):
        element = block["element"]
        entry = state_entry(element, typed.get(block["block_id"], ""))
        values[block["block_id"]] = {str(element.get("action_id", "")): entry}
    return values


# Where each input element reports its value in view.state (null when left empty).
STATE_KEYS = {
    "datepicker": "selected_date",
    "users_select": "selected_user",
    "conversations_select": "selected_conversation",
}
ANSWERS = ("value", "selected_option", "selected_users", *STATE_KEYS.values())


def state_entry(element: Json, raw: str) -> Json:
    """One input element's state as Slack reports it, for what the person entered."""
    kind = str(element.get("type", ""))
    if kind == "static_select":
        return {"type": kind, "selected_option": option_for(element, raw)}
    if kind == "multi_users_select":
        return {"type": kind, "selected_users": [u for u in raw.split(",") if u]}
    return {"type": kind, STATE_KEYS.get(kind, "value"): raw or None}  # Slack: null when empty


def missing_required(view: View, values: dict[str, Json]) -> dict[str, str]:
    missing = {}
    for block in _inputs(view):
        if block.get("optional"):
            continue
        entry = next(iter((values.get(block["block_id"]) or {}).values()), {})
        if not any(entry.get(k) for k in ANSWERS):
            missing[block["block_id"]] = REQUIRED_MISSING
    return missing


def _inputs(view: View) -> list[Json]:
    return [
        b
        for b in view.payload.get("blocks") or []
        if b.get("type") == "input" and isinstance(b.get("element"), dict) and b.get("block_id")
    ]


def view_submission(ws: Workspace, user: str, view: View, values: dict[str, Json]) -> Json:
    submitted = {**view.as_slack(), "state": {"values": values}}
    return {
        "type": "view_submission",
        "team": _team(),
        "user": _user(ws, user),
        "api_app_id": APP_ID,
        "token": LEGACY_TOKEN,
        "trigger_id": ws.issue_trigger(user),
        "view": submitted,
        "response_urls": [],
        "enterprise": None,
        "is_enterprise_install": False,
    }


def app_home_opened(ws: Workspace, user: str, event_id: str) -> Json:
    event: Json = {
        "type": "app_home_opened",
        "user": user,
        "channel": dm_channel(user),
        "tab": "home",
        "event_ts": f"{time.time():.6f}",
    }
    home = ws.homes.get(user)
    if home is not None:
        event["view"] = home.as_slack()
    return {
        "token": LEGACY_TOKEN,
        "team_id": TEAM_ID,
        "api_app_id": APP_ID,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [
            {"team_id": TEAM_ID, "user_id": BOT_USER, "is_bot": True, "enterprise_id": None}
        ],
        "event": event,
    }
