"""What Slack's Web API refuses in the arguments it is sent, and with which error code.

One copy for both stand-ins for Slack: the sandbox's emulator (bot/sandbox/emulator.py, shipped)
and the test fake (tests/fakeslack.py). Each function takes the parameters as a method receives
them and answers None when Slack would accept them, else Slack's error code. The block limits
are the ones Baton renders within (bot/blocks/text.py), which are Slack's.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from bot.blocks.text import MESSAGE_BLOCKS_MAX, VIEW_BLOCKS_MAX

Json = dict[str, Any]

# Fields Slack accepts as JSON strings inside form-encoded bodies.
JSON_FIELDS = ("blocks", "attachments", "view", "metadata")
HISTORY_LIMIT_MAX = 999


def decode_json_fields(params: Json) -> Json:
    """`params` with the JSON-string fields decoded, as Slack reads a form body."""
    for key in JSON_FIELDS:
        value = params.get(key)
        if isinstance(value, str) and value[:1] in ("[", "{"):
            # Undecodable stays a string and is refused with invalid_blocks_format, as Slack does.
            with contextlib.suppress(json.JSONDecodeError):
                params[key] = json.loads(value)
    return params


def message_problem(p: Json) -> str | None:
    """chat.postMessage / postEphemeral / update: blocks a list of at most 50, something to show."""
    blocks = p.get("blocks")
    if blocks is not None and not isinstance(blocks, list):
        return "invalid_blocks_format"
    if len(blocks or []) > MESSAGE_BLOCKS_MAX:
        return "invalid_blocks"
    if not (p.get("text") or blocks or p.get("attachments")):
        return "no_text"
    return None


def metadata_problem(metadata: Any) -> str | None:
    """Message metadata as Slack takes it: an event_type string and an event_payload object."""
    if metadata is None or metadata == "":
        return None
    if not isinstance(metadata, dict) or set(metadata) - {"event_type", "event_payload"}:
        return "invalid_metadata_format"
    if not isinstance(metadata.get("event_type"), str) or not metadata["event_type"]:
        return "invalid_metadata_format"
    if not isinstance(metadata.get("event_payload"), dict):
        return "invalid_metadata_format"
    return None


def view_problem(view: Any, kind: str) -> str | None:
    """views.*: a view object of the expected type ("modal" or "home"), at most 100 blocks."""
    if not isinstance(view, dict) or view.get("type") != kind:
        return "invalid_arguments"
    if len(view.get("blocks") or []) > VIEW_BLOCKS_MAX:
        return "invalid_arguments"
    return None


def history_window(p: Json) -> tuple[int, float] | str:
    """conversations.history's (limit, oldest), or the error code for unreadable values."""
    try:
        limit, oldest = int(p.get("limit") or 100), float(p.get("oldest") or 0)
    except ValueError:
        return "invalid_arguments"
    if not 1 <= limit <= HISTORY_LIMIT_MAX:
        return "invalid_limit"
    return limit, oldest


def channel_info(channel_id: str, name: str, *, private: bool, member: bool) -> Json:
    """conversations.info for a channel that exists: a private channel the bot is not in is
    one it cannot see, so Slack answers channel_not_found as for no channel at all."""
    if private and not member:
        return error("channel_not_found")
    about = {"id": channel_id, "name": name, "is_channel": True, "is_private": private}
    return {"ok": True, "channel": {**about, "is_member": member}}


def flag(value: Any) -> bool:
    """A boolean argument as Slack reads it: true or 1, sent as JSON or as form text."""
    return str(value).lower() in ("1", "true")


def error(code: str) -> Json:
    """A Web API answer refusing the call."""
    return {"ok": False, "error": code}
