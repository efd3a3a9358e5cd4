"""The slash command: parse → the subcommand's `run` (one service call) → a rendered reply.

What each subcommand does is declared with its class in `handlers/subcommands/`; this module
only dispatches: one transaction per command (read-only when the subcommand only reads), and
a reply that is either a message or a modal opened after the transaction. A key left out in
a channel that is the home of several projects gets a select of them; picking one re-runs
the command with that key (`command.pick_project`).
"""

from __future__ import annotations

import logging
import re
from functools import cached_property
from typing import Any

from slack_bolt import App

from bot.blocks import replies
from bot.runtime import Runtime
from handlers import parsing as p
from handlers.envelope import Unreadable
from handlers.listener import Incoming, Kind, listener
from handlers.registry import CommandContext, FollowUp, OpenView, Reply, Subcommand
from models.services import (
    projects,
)

log = logging.getLogger(__name__)

FOLLOW_UP_FAILED = "Baton could not finish that answer. Nothing was changed; please try again."


def register(app: App, rt: Runtime) -> None:
    @app.command(rt.settings.baton_command)
    @listener(rt, Kind.COMMAND, "command.run")
    def on_command(req: Incoming) -> None:
        _parse_and_run(rt, req, req.body.get("text", ""), req.body["channel_id"])

    @app.action(replies.PICK_PROJECT)
    @listener(rt, Kind.ACTION, "command.run")
    def on_project_picked(req: Incoming) -> None:
        key, text, channel = _picked(req.body)
        _parse_and_run(rt, req, text, channel, chosen=key)


def refusal_name(command: Subcommand) -> str:
    """`object.verb` for the audit of a refused subcommand: RoleAssign -> role.assign."""
    if (name := type(command).spec.refusal) is not None:
        return name
    words = [w.lower() for w in re.findall(r"[A-Z][a-z]*", type(command).__name__)]
    return f"{words[0]}.{'_'.join(words[1:]) or 'read'}"


def _parse_and_run(
    rt: Runtime, req: Incoming, text: str, channel: str, chosen: str | None = None
) -> None:
    here = p.Here(channel, lambda: _homes(rt, req), chosen)
    try:
        command = p.parse(text, rt.settings.baton_command, here)
    except p.ChooseProject as exc:
        picker = replies.project_picker(channel, exc.keys, text)
        keys = ", ".join(exc.keys)
        _answer(
            req, picker or replies.error_reply(f"Several projects live here ({keys}): add the key.")
        )
        return
    except p.UsageError as exc:
        _answer(req, replies.error_reply(exc.reason, exc.usage))
        return
    req.refusal = refusal_name(command)
    if isinstance(key := getattr(command, "key", None), str):
        req.detail["project_key"] = key  # a refusal is recorded against its project
    _run(rt, req, command, channel)


class _Homes:
    """`ProjectHomes` read as the parser asks: one channel's homes and whether a key exists
    are a small select each; every key is read only for a near-miss (difflib). Reading every
    project of a 1,000-project workspace on each command cost more than the command."""

    def __init__(self, rt: Runtime, team_id: str) -> None:
        self._rt, self._team = rt, team_id
        self._channels: dict[str, list[str]] = {}

    def homed_in(self, channel_id: str) -> list[str]:
        if channel_id not in self._channels:
            with self._rt.session(reading=True) as s:
                self._channels[channel_id] = projects.homed_in(s, self._team, channel_id)
        return list(self._channels[channel_id])

    def has(self, key: str) -> bool:
        with self._rt.session(reading=True) as s:
            return projects.key_exists(s, self._team, key)

    @cached_property
    def keys(self) -> frozenset[str]:
        with self._rt.session(reading=True) as s:
            return projects.project_homes(s, self._team).keys


def _homes(rt: Runtime, req: Incoming) -> p.Homes:
    return _Homes(rt, req.actor.team_id)


def _run(rt: Runtime, req: Incoming, command: Subcommand, channel: str) -> None:
    with rt.session(reading=type(command).spec.reads_only) as s:
        ctx = CommandContext(rt, s, req.actor, channel, rt.settings.baton_command, req.detail)
        reply = command.run(ctx)
    if isinstance(reply, OpenView):
        req.ack()
        req.open_view(reply.view, reply.failed)
        return
    if isinstance(reply, FollowUp):
        req.ack()
        _follow_up(req, reply)
        return
    _answer(req, reply)


def _follow_up(req: Incoming, reply: FollowUp) -> None:
    """Acknowledged at once and empty; the answer follows when `then` has it. Never raises."""
    req.ack()
    try:
        answer = dict(reply.then())
    except Exception:
        log.exception("%s: the answer after the acknowledgement failed", req.refusal)
        answer = {"response_type": "ephemeral", "text": FOLLOW_UP_FAILED}
    _respond(req, answer)


def _answer(req: Incoming, reply: Reply) -> None:
    """A slash command's answer rides on its acknowledgement; a pick's follows it."""
    if req.kind is Kind.COMMAND:
        kind = reply.pop("response_type", "ephemeral")
        req.ack(response_type=kind, **reply)
        return
    req.ack()
    _respond(req, reply)


def _respond(req: Incoming, reply: Reply) -> None:
    """Through response_url. A pick replaces the picker, or, for an answer everyone sees,
    deletes it (an ephemeral cannot become one in the channel); a command's is a new one."""
    if req.respond is None:
        return
    kind = reply.pop("response_type", "ephemeral")
    if req.kind is Kind.COMMAND:
        req.respond(response_type=kind, **reply)
        return
    if kind == "ephemeral":
        req.respond(response_type=kind, replace_original=True, **reply)
        return
    req.respond(delete_original=True)  # no live picker left to run the command twice
    req.respond(response_type=kind, replace_original=False, **reply)


def _picked(body: dict[str, Any]) -> tuple[str, str, str]:
    """The key chosen in the picker, the command text its block carries, and its channel."""
    actions = body.get("actions")
    action = actions[0] if isinstance(actions, list) and actions else None
    if not isinstance(action, dict) or not isinstance(action.get("selected_option"), dict):
        raise Unreadable("no project was picked")
    key, block_id = action["selected_option"].get("value"), action.get("block_id")
    channel = (body.get("container") or {}).get("channel_id")
    if not all(isinstance(v, str) for v in (key, block_id, channel)):
        raise Unreadable("the picked project, its command or its channel is missing")
    if not block_id.startswith(replies.RERUN_PREFIX):
        raise Unreadable("the picker does not carry a command")
    return key, block_id.removeprefix(replies.RERUN_PREFIX), channel
