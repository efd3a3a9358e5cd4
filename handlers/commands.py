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
import threading
from collections.abc import Callable
from contextlib import ExitStack
from functools import cached_property
from typing import Any

from slack_bolt import App
from sqlalchemy.orm import Session

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
    known = _KnownKeys()  # this app's process: see _KnownKeys

    @app.command(rt.settings.baton_command)
    @listener(rt, Kind.COMMAND, "command.run")
    def on_command(req: Incoming) -> None:
        _parse_and_run(rt, req, req.body.get("text", ""), req.body["channel_id"], known)

    @app.action(replies.PICK_PROJECT)
    @listener(rt, Kind.ACTION, "command.run")
    def on_project_picked(req: Incoming) -> None:
        key, text, channel = _picked(req.body)
        _parse_and_run(rt, req, text, channel, known, chosen=key)


def refusal_name(command: Subcommand) -> str:
    """`object.verb` for the audit of a refused subcommand: RoleAssign -> role.assign."""
    if (name := type(command).spec.refusal) is not None:
        return name
    words = [w.lower() for w in re.findall(r"[A-Z][a-z]*", type(command).__name__)]
    return f"{words[0]}.{'_'.join(words[1:]) or 'read'}"


def _parse_and_run(
    rt: Runtime,
    req: Incoming,
    text: str,
    channel: str,
    known: _KnownKeys,
    chosen: str | None = None,
) -> None:
    with _Reads(rt) as reads:
        homes = _Homes(reads, req.actor.team_id, known)
        here = p.Here(channel, lambda: homes, chosen)
        try:
            command = p.parse(text, rt.settings.baton_command, here)
        except p.ChooseProject as exc:
            reads.close()
            picker = replies.project_picker(channel, exc.keys, text)
            keys = ", ".join(exc.keys)
            _answer(
                req,
                picker or replies.error_reply(f"Several projects live here ({keys}): add the key."),
            )
            return
        except p.UsageError as exc:
            reads.close()
            _answer(req, replies.error_reply(exc.reason, exc.usage))
            return
        req.refusal = refusal_name(command)
        if isinstance(key := getattr(command, "key", None), str):
            req.detail["project_key"] = key  # a refusal is recorded against its project
        _run(rt, req, command, channel, reads)


class _Reads:
    """One read-only unit of work, begun at the first read: the parser's look-ups and the
    run of a subcommand that only reads share it (one session, connection and BEGIN, not
    three); one that writes gets its own after this one ends. Ended before Slack is
    answered, so no connection is held while the answer goes out."""

    def __init__(self, rt: Runtime) -> None:
        self._rt = rt
        self._stack = ExitStack()
        self._session: Session | None = None

    def session(self) -> Session:
        if self._session is None:
            self._session = self._stack.enter_context(self._rt.session(reading=True))
        return self._session

    def close(self) -> None:
        self._session = None
        self._stack.close()

    def __enter__(self) -> _Reads:
        return self

    def __exit__(self, *exc: object) -> bool | None:
        self._session = None
        return self._stack.__exit__(*exc)  # type: ignore[arg-type]


class _KnownKeys:
    """Project keys this process has seen exist, per workspace. Safe to keep for the life of
    the process, on every replica: a project is never deleted and its key never changes
    (archived ones keep theirs, and `key_exists` counts them), so a key once read stays
    true; only a key not seen yet is asked of the database. Never the other way round: a
    key missing now may be created by another process a moment later."""

    def __init__(self) -> None:
        self._keys: set[tuple[str, str]] = set()
        self._lock = threading.Lock()

    def has(self, team_id: str, key: str, read: Callable[[], bool]) -> bool:
        if (team_id, key) in self._keys:
            return True
        if not read():
            return False
        with self._lock:  # listener threads share it
            self._keys.add((team_id, key))
        return True


class _Homes:
    """`ProjectHomes` read as the parser asks: one channel's homes and whether a key exists
    are a small select each; every key is read only for a near-miss (difflib). Reading every
    project of a 1,000-project workspace on each command cost more than the command."""

    def __init__(self, reads: _Reads, team_id: str, known: _KnownKeys) -> None:
        self._reads, self._team, self._known = reads, team_id, known
        self._channels: dict[str, list[str]] = {}

    def homed_in(self, channel_id: str) -> list[str]:
        if channel_id not in self._channels:
            s = self._reads.session()
            self._channels[channel_id] = projects.homed_in(s, self._team, channel_id)
        return list(self._channels[channel_id])

    def has(self, key: str) -> bool:
        read = lambda: projects.key_exists(self._reads.session(), self._team, key)  # noqa: E731
        return self._known.has(self._team, key, read)

    @cached_property
    def keys(self) -> frozenset[str]:
        return projects.project_homes(self._reads.session(), self._team).keys


def _run(rt: Runtime, req: Incoming, command: Subcommand, channel: str, reads: _Reads) -> None:
    if type(command).spec.reads_only:
        reply = _reply(rt, req, command, channel, reads.session())
    else:
        reads.close()  # the parser's reads end before the writing unit of work begins
        with rt.session() as s:
            reply = _reply(rt, req, command, channel, s)
    reads.close()
    if isinstance(reply, OpenView):
        req.ack()
        req.open_view(reply.view, reply.failed)
        return
    if isinstance(reply, FollowUp):
        req.ack()
        _follow_up(req, reply)
        return
    _answer(req, reply)


def _reply(
    rt: Runtime, req: Incoming, command: Subcommand, channel: str, s: Session
) -> Reply | OpenView | FollowUp:
    ctx = CommandContext(rt, s, req.actor, channel, rt.settings.baton_command, req.detail)
    return command.run(ctx)


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
