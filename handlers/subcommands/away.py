"""Away and back: `away until <date> [delegate @user] [reason]`, `back`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from bot.blocks import replies
from bot.blocks.text import user
from handlers.registry import CommandContext, Reply, Subcommand, subcommand
from models.base import utcnow
from models.services import absences

if TYPE_CHECKING:
    from handlers.parsing import Args


@subcommand(
    "away",
    "{cmd} away until <YYYY-MM-DD> [delegate @user] [reason]",
    "Mark yourself away: your sign-offs go to your delegate (or the ML architect lead)",
    refusal="absence.start",
)
@dataclass(frozen=True, slots=True)
class Away(Subcommand):
    until: date
    delegate: str | None = None
    reason: str | None = None

    @classmethod
    def parse(cls, args: Args) -> Away:
        if (args.take("'until'")).lower() != "until":
            args.fail("write `away until YYYY-MM-DD`")
        word = args.take("the date you are back")
        try:
            until = date.fromisoformat(word)
        except ValueError:
            args.fail(f"'{word}' is not a date like 2026-12-20")
        delegate = None
        if (args.peek() or "").lower() == "delegate":
            args.take("'delegate'")
            delegate = args.user("the delegate")
        return cls(until, delegate, args.take_rest())

    def run(self, ctx: CommandContext) -> Reply:
        moved = absences.go_away(
            ctx.s, ctx.actor, self.until, self.delegate, self.reason, utcnow(), ctx.rt.policy
        )
        return replies.text_reply(_away_text(self.until, self.delegate, len(moved)))


@subcommand(
    "back", "{cmd} back", "End your absence: your sign-offs come back to you", refusal="absence.end"
)
@dataclass(frozen=True, slots=True)
class Back(Subcommand):
    def run(self, ctx: CommandContext) -> Reply:
        moved = absences.come_back(ctx.s, ctx.actor, utcnow(), ctx.rt.policy)
        return replies.text_reply(
            f"Welcome back. {len(moved)} pending hand-off(s) wait on you again."
        )


def _away_text(until: date, delegate: str | None, moved: int) -> str:
    who = user(delegate) if delegate else "each project's ML architect lead"
    return (
        f":palm_tree: You are away until {until.isoformat()}. {who} signs for you meanwhile; "
        f"{moved} pending hand-off(s) re-routed. `back` ends it early."
    )
