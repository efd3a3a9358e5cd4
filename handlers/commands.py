"""The slash command: parse → the subcommand's `run` (one service call) → a rendered reply.

What each subcommand does is declared with its class in `handlers/subcommands/`; this module
only dispatches: one transaction per command (read-only when the subcommand only reads), and
a reply that is either a message or a modal opened after the transaction.
"""

from __future__ import annotations

import logging
import re

from slack_bolt import App

from bot.blocks import replies
from bot.runtime import Runtime
from handlers import parsing as p
from handlers.listener import Incoming, Kind, listener
from handlers.registry import CommandContext, OpenView, Subcommand

log = logging.getLogger(__name__)


def register(app: App, rt: Runtime) -> None:
    @app.command(rt.settings.baton_command)
    @listener(rt, Kind.COMMAND, "command.run")
    def on_command(req: Incoming) -> None:
        try:
            command = p.parse(req.body.get("text", ""), rt.settings.baton_command)
        except p.UsageError as exc:
            req.ack(response_type="ephemeral", **replies.error_reply(exc.reason, exc.usage))
            return
        req.refusal = refusal_name(command)
        _run(rt, req, command)


def refusal_name(command: Subcommand) -> str:
    """`object.verb` for the audit of a refused subcommand: RoleAssign -> role.assign."""
    if (name := type(command).spec.refusal) is not None:
        return name
    words = [w.lower() for w in re.findall(r"[A-Z][a-z]*", type(command).__name__)]
    return f"{words[0]}.{'_'.join(words[1:]) or 'read'}"


def _run(rt: Runtime, req: Incoming, command: Subcommand) -> None:
    with rt.session(reading=type(command).spec.reads_only) as s:
        channel = req.body["channel_id"]
        slash = req.body.get("command", rt.settings.baton_command)
        ctx = CommandContext(rt, s, req.actor, channel, slash, req.detail)
        reply = command.run(ctx)
    if isinstance(reply, OpenView):
        req.ack()
        req.open_view(reply.view, reply.failed)
        return
    req.ack(response_type=reply.pop("response_type", "ephemeral"), **reply)
