"""Roster health as people read it: "deploy needs a Software developer lead", on the status
card, App Home, the digest and the weekly roster check DM."""

from __future__ import annotations

from typing import Any

from bot.blocks.kit import Block, actions, button, context, message, section
from bot.blocks.text import escape, slash_command, user
from models.enums import Role
from models.schemas.projects import RosterGap

# The roster check's button: the same Edit roles modal App Home opens (handlers/project_setup.py).
FIX_ROSTER = "roster.edit_roles"


def _a(label: str) -> str:
    return "an" if label[:1] in "AEIOU" or label.startswith("ML") else "a"


def gap_lines(gap: RosterGap) -> list[str]:
    stage = gap.to_stage.value
    lines = [f":warning: *{stage}* needs {_a(r.label)} {escape(r.label)} lead" for r in gap.vacant]
    lines += [
        f":wave: {user(d.user)}, {escape(d.role.label)} lead, has left the workspace"
        for d in gap.departed
    ]
    return lines


def gap_summary(gap: RosterGap) -> str:
    """One line for a project list (App Home)."""
    return ":warning: " + gap_phrase(gap)


def gap_phrase(gap: RosterGap) -> str:
    """ "deploy needs a Software developer lead; ML architect lead left", escaped."""
    parts = [f"{gap.to_stage.value} needs {_a(r.label)} {r.label} lead" for r in gap.vacant]
    parts += [f"{d.role.label} lead left" for d in gap.departed]
    return escape("; ".join(parts))


def gap_blocks(gap: RosterGap | None) -> list[Block]:
    if gap is None or not gap.any:
        return []
    return [section("\n".join(gap_lines(gap))), context(assign_hint(gap))]


def assign_hint(gap: RosterGap) -> str:
    role = (gap.vacant or [d.role for d in gap.departed] or [Role.ML_ARCHITECT])[0]
    return (
        "The project's creator, its ML architect lead or a Baton admin can assign one: "
        f"`{slash_command()} role assign {escape(gap.project_key)} {role.value} @user lead`"
    )


def roster_check_message(gap: RosterGap) -> dict[str, Any]:
    intro = (
        f":clipboard: Weekly roster check for *{escape(gap.project_name)}* "
        f"(`{escape(gap.project_key)}`): its next hand-off cannot be signed until this is fixed."
    )
    fix = button("Fix roster…", FIX_ROSTER, gap.project_key, style="primary")
    blocks = [section(intro), *gap_blocks(gap), actions(f"roster.fix.{gap.project_key}", fix)]
    return message(f"Roster check: {gap.project_key} needs leads", blocks)
