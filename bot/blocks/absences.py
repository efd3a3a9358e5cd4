"""Coming back from an absence, as people read it: the welcome that lists the sign-offs that
are yours again, and the note to whoever signed for you meanwhile. Both are rendered from the
hand-offs as they stand when delivered, so a sign-off decided since is left out."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import date
from typing import Any

from bot.blocks.kit import Block, context, message, section
from bot.blocks.text import escape, slash_command, user
from models.schemas.projects import HandoffView, SignOffLine

WELCOME = ":wave: *Welcome back: these sign-offs are yours again*"


def welcome_back_message(person: str, until: date, views: Sequence[HandoffView]) -> dict[str, Any]:
    lines = _lines(views, lambda line: line.signer == person and not line.standing_in)
    ended = f"Your absence (until {until.isoformat()}) has ended."
    blocks: list[Block]
    if lines:
        blocks = [
            section(f"{WELCOME}\n{ended} Each card follows, with its buttons."),
            section(lines),
        ]
    else:
        blocks = [section(f":wave: *Welcome back.* {ended} No sign-off waits on you right now.")]
    blocks.append(context(f"Away again? `{slash_command()} away until YYYY-MM-DD`"))
    return message("Welcome back: these sign-offs are yours again", blocks)


def stand_in_ended_message(lead: str, views: Sequence[HandoffView]) -> dict[str, Any]:
    lines = _lines(views, lambda line: line.lead == lead and not line.standing_in)
    intro = f":wave: {user(lead)} is back, so you no longer sign for them."
    blocks = [section(intro + ("\nThese are theirs again:" if lines else ""))]
    if lines:
        blocks.append(section(lines))
    return message("You no longer sign for someone who is back", blocks)


def _lines(views: Sequence[HandoffView], wanted: Callable[[SignOffLine], bool]) -> str:
    return "\n".join(
        f"• *{escape(v.project_name)}* (`{escape(v.project_key)}`, {v.transition}): "
        f"{escape(line.label)}"
        for v in views
        if v.is_open
        for line in v.waiting_on
        if wanted(line)
    )
