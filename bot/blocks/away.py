"""Away from App Home: the button, the line saying who signs while you are away, and the
modal that starts or changes an absence (the same service as the away command)."""

from __future__ import annotations

import json
from datetime import date

from bot.blocks.kit import (
    Block,
    actions,
    button,
    datepicker,
    input_block,
    modal,
    picker_input,
    section,
    text_input,
)
from bot.blocks.text import escape, user
from models.schemas.people import AbsenceView
from models.services.absences import REASON_MAX

AWAY, BACK = "home.away", "home.back"
CALLBACK = "home.away_submit"
UNTIL, DELEGATE, REASON = "until", "delegate", "reason"


def away_button() -> Block:
    return button("Away…", AWAY, "")


def away_blocks(absence: AbsenceView) -> list[Block]:
    """While away: until when, who signs meanwhile, and the ways out."""
    who = user(absence.delegate) if absence.delegate else "each project's ML architect lead"
    line = f":palm_tree: You are away until *{absence.until.isoformat()}*, {who} signs for you."
    if absence.reason:
        line += f"\n_{escape(absence.reason)}_"
    return [
        section(line),
        actions("home.away", button("Back", BACK, "", "primary"), button("Change…", AWAY, "")),
    ]


def away_modal(until: date, absence: AbsenceView | None) -> Block:
    """`until`: the date it opens with (tomorrow, or the current absence's)."""
    delegate = absence.delegate if absence else None
    blocks = [
        section(
            "While you are away, each sign-off you would owe goes to your delegate, "
            "or to the project's ML architect lead if you name nobody."
        ),
        input_block(UNTIL, "Away until", datepicker(until.isoformat())),
        picker_input(DELEGATE, "Delegate", "users_select", initial=delegate, optional=True),
        text_input(
            REASON,
            "Reason",
            initial=(absence.reason or "") if absence else "",
            hint="On holiday, at a conference…",
            optional=True,
            max_length=REASON_MAX,
        ),
    ]
    title = "Change absence" if absence else "Away"
    return modal(title, CALLBACK, blocks, submit="Save", private_metadata=json.dumps({}))
