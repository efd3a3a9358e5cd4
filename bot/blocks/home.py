"""The App Home tab, the cockpit: what waits on me first (with its SLA), then my projects with
their buttons; New project and Request a hand-off at the top."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from bot.blocks.away import away_blocks, away_button
from bot.blocks.handoff import (
    STATUS_LINE,
    decision_buttons,
    on_behalf_of,
    packet_value,
    resubmit_button,
)
from bot.blocks.kit import Block, actions, button, context, divider, header, home, modal, section
from bot.blocks.replies import STAGE_ICON
from bot.blocks.roster import gap_summary
from bot.blocks.text import cut, escape, slash_command, user
from models.schemas.people import AbsenceView
from models.schemas.projects import HandoffView, MyProject, RosterGap, SignOffLine

CARDS_SHOWN = 8  # four blocks each; a home view holds 100
PROJECTS_SHOWN = 20  # two blocks each
RESUBMITS_SHOWN = 3  # two blocks each
NEW_PROJECT, CHOOSE_HANDOFF = "home.new_project", "home.choose_handoff"
STATUS, REQUEST_HANDOFF, EDIT_ROLES = "home.status", "home.request_handoff", "home.edit_roles"
CHOICE_CALLBACK, CHOICE_BLOCK = "home.handoff_choice", "project"


def home_view(
    pending: list[HandoffView],
    projects: list[MyProject],
    now: datetime,
    resubmit: list[HandoffView] | None = None,
    open_by_key: dict[str, HandoffView] | None = None,
    gaps: Mapping[str, RosterGap] | None = None,
    away: AbsenceView | None = None,
    viewer: str | None = None,
    pending_count: int | None = None,
    resubmit_count: int | None = None,
) -> dict[str, Any]:
    """`resubmit`: hand-offs sent back to this user; `open_by_key`: each project's open one;
    `gaps`: the leads each project's next hand-off still needs; `away`: the viewer's absence;
    `pending_count`, `resubmit_count`: the lists' lengths, when only their first few are
    passed."""
    gaps = gaps or {}
    resubmit = resubmit or []
    waiting = len(pending) if pending_count is None else pending_count
    sent_back = len(resubmit) if resubmit_count is None else resubmit_count
    top = [
        button("New project", NEW_PROJECT, "", "primary"),
        button("Request a hand-off", CHOOSE_HANDOFF, ""),
    ]
    blocks: list[Block] = [actions("home.top", *top, *([] if away else [away_button()]))]
    if away:
        blocks += away_blocks(away)
    blocks.append(header(f"Waiting on your sign-off ({waiting})"))
    if not waiting and not sent_back:
        blocks.append(context("Nothing waits on you. :tada:"))
    for view in pending[:CARDS_SHOWN]:
        blocks += [*waiting_blocks(view, now, viewer), divider()]
    if waiting > CARDS_SHOWN:
        more = waiting - CARDS_SHOWN
        blocks.append(context(f"…and {more} more: `{slash_command()} signoffs` lists them all."))
    if sent_back:
        blocks.append(header(f"Waiting on you to resubmit ({sent_back})"))
        for view in resubmit[:RESUBMITS_SHOWN]:
            blocks += resubmit_blocks(view)
    blocks.append(header(f"My projects ({len(projects)})"))
    if not projects:
        blocks.append(context("You hold no role yet. *New project* sets one up."))
    for project in projects[:PROJECTS_SHOWN]:
        blocks += project_blocks(
            project, (open_by_key or {}).get(project.key), gaps.get(project.key)
        )
    if len(projects) > PROJECTS_SHOWN:
        blocks.append(
            context(
                f"…and {len(projects) - PROJECTS_SHOWN} more: `{slash_command()} project list`."
            )
        )
    return home(blocks)


def countdown(due: datetime, now: datetime) -> str:
    """'due in 3 h' or 'overdue 5 h' (minutes under an hour, days past two)."""
    seconds = (due - now).total_seconds()
    minutes = int(abs(seconds) // 60)
    if minutes < 60:
        span = f"{max(minutes, 1)} min"
    elif minutes < 48 * 60:
        span = f"{minutes // 60} h"
    else:
        span = f"{minutes // (24 * 60)} d"
    return f"due in {span}" if seconds >= 0 else f"overdue {span}"


def waiting_blocks(view: HandoffView, now: datetime, viewer: str | None = None) -> list[Block]:
    due = countdown(view.due_at, now)
    icon = ":hourglass_flowing_sand:" if view.due_at >= now else ":rotating_light:"
    line = (
        f"{icon} *{escape(view.project_name)}* (`{view.project_key}`) · {view.transition} · "
        f"*{due}*\nrequested by {user(view.requested_by)}, round {view.round}"
    )
    signs = [_signs_as(sl) for sl in view.waiting_on if viewer and sl.signer == viewer]
    if signs:  # a stand-in reads whose sign-off this is, and why
        line += "\nyou sign as " + ", ".join(signs)
    packet = [f"*{escape(p.label)}*: {packet_value(p, 120)}" for p in view.packet[:2]]
    return [section(line), context(*packet) if packet else context(" "), decision_buttons(view.id)]


def _signs_as(line: SignOffLine) -> str:
    role = f"*{escape(line.label)}*"
    if not line.standing_in or not line.lead:
        return role
    return f"{role} {on_behalf_of(line)}"


def resubmit_blocks(view: HandoffView) -> list[Block]:
    line = (
        f":memo: *{escape(view.project_name)}* (`{view.project_key}`) · {view.transition} · "
        f"changes requested, round {view.round}"
    )
    return [section(line), actions(f"home.resubmit.{view.id}", resubmit_button(view.id))]


def project_blocks(
    p: MyProject, open_handoff: HandoffView | None = None, gap: RosterGap | None = None
) -> list[Block]:
    """A project with its buttons; one with a hand-off open shows it instead of asking for one."""
    roles = ", ".join(r.label + (" (lead)" if r in p.lead_of else "") for r in p.roles)
    held = escape(roles) if roles else "_You created it and hold no role on it._"
    line = f"{STAGE_ICON[p.stage]} *{escape(p.name)}* (`{p.key}`): {p.stage.value}\n{held}"
    if gap is not None:
        line += f"\n{gap_summary(gap)}"  # the next hand-off needs a lead nobody holds
    buttons = [button("Status", STATUS, p.key)]
    if open_handoff is None:
        if p.may_request:  # no button that could only be refused
            buttons.append(button("Request hand-off", REQUEST_HANDOFF, p.key))
    else:
        status = STATUS_LINE[open_handoff.status]
        line += f"\nHand-off open ({open_handoff.transition}, round {open_handoff.round}): {status}"
    if p.manages:
        buttons.append(button("Edit roles", EDIT_ROLES, p.key))
    return [section(line), actions(f"home.project.{p.key}", *buttons)]


def handoff_choice_view(projects: list[MyProject]) -> Block:
    """Which project the hand-off is for; submitting it opens that project's hand-off form."""
    options = [
        {
            "text": {
                "type": "plain_text",
                "text": cut(f"{p.name} ({p.key}) · {p.stage.value}", 75),
            },
            "value": p.key,
        }
        for p in projects[:100]
    ]
    select = {
        "type": "input",
        "block_id": CHOICE_BLOCK,
        "label": {"type": "plain_text", "text": "Project"},
        "element": {"type": "static_select", "action_id": "value", "options": options},
    }
    blocks = [section("The hand-off goes to the project's next stage."), select]
    return modal(
        "Request a hand-off",
        CHOICE_CALLBACK,
        blocks,
        submit="Next",
        private_metadata=json.dumps({}),
    )


def status_view(message: dict[str, Any]) -> Block:
    """A status card, shown in a modal when asked for from App Home."""
    return modal(
        "Project status", "home.status_card", list(message.get("blocks") or []), submit=None
    )
