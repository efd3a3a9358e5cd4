"""The App Home tab: my pending sign-offs with their buttons, my projects and roles."""

from __future__ import annotations

from typing import Any

from bot.blocks.handoff import card_blocks
from bot.blocks.kit import Block, context, divider, header, home, section
from bot.blocks.replies import STAGE_ICON
from bot.blocks.text import escape
from models.schemas.projects import HandoffView, MyProject

CARDS_SHOWN = 8  # a card is ~7 blocks; a home view holds 100


def home_view(pending: list[HandoffView], projects: list[MyProject]) -> dict[str, Any]:
    blocks: list[Block] = [header(f"Waiting on your sign-off ({len(pending)})")]
    if not pending:
        blocks.append(context("Nothing waits on you. :tada:"))
    for view in pending[:CARDS_SHOWN]:
        blocks += [*card_blocks(view), divider()]
    if len(pending) > CARDS_SHOWN:
        blocks.append(
            context(f"…and {len(pending) - CARDS_SHOWN} more: `/mlops signoffs` lists them all.")
        )
    blocks.append(header(f"My projects ({len(projects)})"))
    if not projects:
        blocks.append(context("You hold no role yet. A project's creator assigns roles."))
    lines = [
        f"{STAGE_ICON[p.stage]} `{p.key}` *{escape(p.name)}*: {p.stage.value} · "
        + ", ".join(r.label + (" (lead)" if r in p.lead_of else "") for r in p.roles)
        for p in projects
    ]
    for i in range(0, len(lines), 15):
        blocks.append(section("\n".join(lines[i : i + 15])))
    return home(blocks)
