"""Slash-command replies: lists, cards, errors, help. Pure functions of domain views."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.blocks.digest import lead_time_line, monitor_line
from bot.blocks.handoff import STATUS_LINE, card_blocks, checklist_line
from bot.blocks.kit import (
    Block,
    age,
    context,
    divider,
    fields,
    header,
    message,
    modal,
    section,
    static_select,
)
from bot.blocks.roster import gap_blocks
from bot.blocks.text import BLOCK_ID_MAX, channel, cut, escape, slash_command, unescape, user
from models.enums import ROLE_ALIASES, Decision, HandoffStatus, Role, Stage
from models.schemas.digest import StatusView
from models.schemas.projects import (
    AuditEntry,
    HandoffView,
    LineageEntry,
    ProjectSummary,
    RoleHolders,
)

STAGE_ICON = {
    Stage.MANAGE: ":clipboard:",
    Stage.DEVELOP: ":hammer_and_wrench:",
    Stage.DEPLOY: ":rocket:",
    Stage.MONITOR: ":chart_with_upwards_trend:",
    Stage.ARCHIVED: ":file_cabinet:",
}


def text_reply(text: str) -> dict[str, Any]:
    return message(text, [section(text)])


def notice_view(blocks: list[Block]) -> Block:
    """A message shown on screen in a small modal, where a click has no channel to answer in."""
    return modal("Baton", "baton.notice", blocks, submit=None)


def error_reply(reason: str, usage: str | None = None) -> dict[str, Any]:
    # Reasons may quote command text, which Slack sends already entity-escaped: escape once.
    said = escape(unescape(reason))
    body = f":warning: {said}"
    if usage:
        body += f"\nUsage: `{escape(usage)}`"
    return message(said, [section(body)])  # the fallback is mrkdwn too: escaped as well


def help_reply(entries: list[tuple[str, str]], *, roles: bool = False) -> dict[str, Any]:
    """The commands; with `roles`, the role keys and short names `role assign` takes."""
    lines = [f"`{escape(usage)}`  {escape(what)}" for usage, what in entries]
    chunks = ["\n".join(lines[i : i + 12]) for i in range(0, len(lines), 12)]
    blocks = [header("Baton commands"), *[section(c) for c in chunks]]
    if roles:
        blocks += [header("Roles"), section("\n".join(map(_role_line, Role))), context(BIZ_NOTE)]
    else:
        blocks.append(context(f"Roles and their short names: `{slash_command()} help role`"))
    return message("Baton commands", blocks)


BIZ_NOTE = "`biz` is the domain expert (business translator), not the business manager: `manager`."


def _role_line(role: Role) -> str:
    also = ", ".join(f"`{a}`" for a in ROLE_ALIASES[role])
    return f"`{role.value}`  *{escape(role.label)}*" + (f" · also {also}" if also else "")


PICK_PROJECT = "command.pick_project"
RERUN_PREFIX = "rerun:"  # the picker's block id: this prefix, then the command text to re-run


def project_picker(channel_id: str, keys: list[str], text: str) -> dict[str, Any] | None:
    """Which project a command is about, when its channel is the home of several; None when
    the command is too long to carry in the block id (the user then types the key)."""
    block_id = RERUN_PREFIX + text
    if len(block_id) > BLOCK_ID_MAX:
        return None
    ask = f"{channel(channel_id)} is the home of several projects. Which one do you mean?"
    block = section(ask, block_id=block_id)
    block["accessory"] = static_select(PICK_PROJECT, "Choose a project", [(k, k) for k in keys])
    return message("Which project?", [block])


def project_created(p: ProjectSummary) -> dict[str, Any]:
    text = (
        f":sparkles: {user(p.created_by)} created *{escape(p.name)}* (`{p.key}`), stage *manage*, "
        f"home channel {channel(p.channel_id)}. Next: assign role leads with "
        f"`{slash_command()} role assign {p.key} &lt;role&gt; @user lead`."
    )
    return message(f"Project {p.key} created", [section(text)])


def project_archived(p: ProjectSummary) -> dict[str, Any]:
    return text_reply(f":file_cabinet: *{escape(p.name)}* (`{p.key}`) is archived.")


def project_list(items: list[ProjectSummary]) -> dict[str, Any]:
    if not items:
        return text_reply(
            f"No projects yet. Create one with `{slash_command()} project create &lt;key&gt; [name]`."
        )
    lines = [
        f"{STAGE_ICON[p.stage]} `{p.key}` *{escape(p.name)}*: {p.stage.value}, {channel(p.channel_id)}"
        for p in items
    ]
    return message(_count(len(items), "project"), _listing(f"Projects ({len(items)})", lines))


def overseer_reply(p: ProjectSummary) -> dict[str, Any]:
    if p.overseer is None:
        return text_reply(f":eyes: `{p.key}` has no overseer now.")
    return text_reply(
        f":eyes: {user(p.overseer)} is the overseer of *{escape(p.name)}* (`{p.key}`): they may "
        "stop it at any time — open a monitor → develop hand-off or archive it."
    )


def roles_reply(key: str, holders: list[RoleHolders]) -> dict[str, Any]:
    return message(f"Roles on {key}", [header(f"Roles · {key}"), *fields(_role_fields(holders))])


def member_added(key: str, holders: list[RoleHolders], role: Role, user_id: str) -> dict[str, Any]:
    """`role assign` without `lead`: say so, and who leads, before the roster."""
    lead = next((h.lead for h in holders if h.role == role), None)
    if lead == user_id:
        return roles_reply(key, holders)
    who = f"the lead is still {user(lead)}" if lead else "the role has no lead yet"
    note = f"{user(user_id)} added as member; {who} (add `lead` to make them lead)."
    roster = roles_reply(key, holders)
    return message(f"{roster['text']}: added as member", [section(note), *roster["blocks"]])


def _role_fields(holders: list[RoleHolders]) -> list[str]:
    out = []
    for h in holders:
        others = [user(m) for m in h.members if m != h.lead]
        lead = f"{user(h.lead)} (lead)" if h.lead else "_no lead_"
        out.append(f"*{escape(h.label)}*\n{lead}" + (f", {', '.join(others)}" if others else ""))
    return out


def status_card(status: StatusView, now: datetime) -> dict[str, Any]:
    card = status.card
    p = card.project
    nxt = ", ".join(s.value for s in card.next_stages) or "none"
    blocks: list[Block] = [
        header(f"{p.name} ({p.key})"),
        section(
            f"{STAGE_ICON[p.stage]} Stage *{p.stage.value}* · home {channel(p.channel_id)} · "
            f"next: {nxt}" + (f" · overseer {user(p.overseer)}" if p.overseer else "")
        ),
        *fields(_role_fields([h for h in card.roles if h.members])),
        *gap_blocks(card.gap),
        divider(),
    ]
    h = card.open_handoff
    if h is None:
        blocks.append(context("No open hand-off."))
    else:
        blocks.append(section(_handoff_summary(h, now)))
    blocks += _status_extras(status)
    return message(f"{p.key}: {p.stage.value}", blocks)


def _status_extras(status: StatusView) -> list[Block]:
    extras: list[Block] = []
    if status.monitors:
        lines = [monitor_line(m) for m in status.monitors]
        extras.append(section("*Monitors*\n" + "\n".join(lines)))
    if status.lead_times:
        lines = [lead_time_line(t) for t in status.lead_times]
        extras.append(context("Lead times, last 90 days: " + " · ".join(lines)))
    return extras


def _handoff_summary(h: HandoffView, now: datetime) -> str:
    lines = "\n".join(checklist_line(line) for line in h.checklist)
    return (
        f"*Open hand-off* {h.transition} · round {h.round} · {age(h.requested_at, now)} old\n"
        f"{STATUS_LINE[h.status]}\n{lines}"
    )


def handoffs_reply(views: list[HandoffView], now: datetime) -> dict[str, Any]:
    if not views:
        return text_reply("No open hand-offs.")
    lines = []
    for v in views:
        waiting = ", ".join(
            f"{escape(w.label)} ({user(w.lead) if w.lead else 'no lead'})" for w in v.waiting_on
        )
        overdue = (
            " :alarm_clock: overdue" if now > v.due_at and v.status == HandoffStatus.PENDING else ""
        )
        lines.append(
            f"`{v.project_key}` {v.transition} · {age(v.requested_at, now)} · "
            f"{v.status.value.replace('_', ' ')}{overdue}\n    waiting on: {waiting or 'the requester'}"
        )
    return message(
        _count(len(views), "open hand-off"), _listing(f"Open hand-offs ({len(views)})", lines)
    )


def signoffs_reply(views: list[HandoffView]) -> dict[str, Any]:
    if not views:
        return text_reply(":tada: Nothing waits on your sign-off.")
    blocks: list[Block] = [header(f"Waiting on you ({len(views)})")]
    for v in views:
        blocks += [*card_blocks(v), divider()]
    verb = "waits" if len(views) == 1 else "wait"
    return message(f"{_count(len(views), 'sign-off')} {verb} on you", blocks)


DECIDED = {
    Decision.APPROVED: ":white_check_mark: You approved",
    Decision.CHANGES_REQUESTED: ":memo: You asked for changes to",
    Decision.REJECTED: ":no_entry: You rejected",
}


def signoffs_after_decision(
    decided: HandoffView, decision: Decision, pending: list[HandoffView]
) -> dict[str, Any]:
    """What replaces the `signoffs` answer once a card in it was decided: that card as it
    stands now (no buttons left for you), then what still waits on you."""
    said = f"{DECIDED[decision]} *{escape(decided.project_key)}* ({decided.transition})."
    blocks: list[Block] = [section(said), *card_blocks(decided, with_buttons=False), divider()]
    rest = signoffs_reply([v for v in pending if v.id != decided.id])
    return message(
        f"{DECIDED[decision].split(' ', 1)[1]} {decided.project_key}", blocks + rest["blocks"]
    )


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def history_reply(key: str, entries: list[AuditEntry]) -> dict[str, Any]:
    """One sentence per event, newest first; a refusal is marked so an auditor's eye finds it."""
    if not entries:
        return text_reply(f"No audit events for `{escape(key)}` yet.")
    lines = [
        f"`{e.created_at:%Y-%m-%d %H:%M}` "
        f"{':no_entry: ' if e.action.startswith('refused.') else ''}{cut(escape(e.sentence), 400)}"
        for e in entries
    ]
    return message(f"History of {key}", _listing(f"History · {key}", lines))


def lineage_reply(key: str, entries: list[LineageEntry]) -> dict[str, Any]:
    if not entries:
        return text_reply(
            f"No model versions recorded for `{key}` yet: they enter on develop → deploy approval."
        )
    lines = [
        f"*{escape(m.model_name)}* `{escape(m.version)}` · data {escape(m.training_data or '?')} "
        f"from {cut(escape(m.data_source or '?'), 200)} · via {m.origin}, "
        f"{m.recorded_at:%Y-%m-%d}"
        + (f" · run {escape(m.run_id)}" if m.run_id else "")
        + (f" · model {cut(escape(m.model_source), 200)}" if m.model_source else "")
        for m in entries
    ]
    return message(f"Lineage of {key}", _listing(f"Lineage · {key}", lines))


def _listing(title: str, lines: list[str]) -> list[Block]:
    """A header and the lines packed into sections under the section text limit."""
    blocks: list[Block] = [header(title)]
    chunk: list[str] = []
    for line in lines:
        if sum(len(c) + 1 for c in chunk) + len(line) > 2800:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(section("\n".join(chunk)))
    return blocks
