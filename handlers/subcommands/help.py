"""`help [topic]`: the commands, or those of one topic."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.blocks import replies
from handlers.registry import (
    CommandContext,
    Reply,
    Subcommand,
    by_name,
    help_entries,
    subcommand,
    verbs,
)

if TYPE_CHECKING:
    from handlers.parsing import Args


@subcommand(
    "help",
    "{cmd} help [command]",
    "List the commands, or show those of one topic",
    reads_only=True,
)
@dataclass(frozen=True, slots=True)
class Help(Subcommand):
    topic: str | None = None

    @classmethod
    def parse(cls, args: Args) -> Help:
        rest = args.take_rest()
        topic = " ".join(rest.split()).lower() if rest else None
        known = set(by_name()) | set(verbs())
        if topic is None or topic in known:
            return cls(topic)
        close = difflib.get_close_matches(topic, known, n=1)
        return args.fail(
            f"there is no help on '{topic}'" + (f"; did you mean '{close[0]}'?" if close else "")
        )

    def run(self, ctx: CommandContext) -> Reply:
        entries = help_entries(ctx.rt.settings.baton_command, self.topic)
        about_roles = (self.topic or "").partition(" ")[0] in ("role", "roles")
        return replies.help_reply(entries, roles=about_roles)
