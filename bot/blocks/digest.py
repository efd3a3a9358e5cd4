"""The channel digest: overdue sign-offs, open hand-offs, roster gaps, approvals, lead times,
projects.

A pure function of the stored DigestView. Each part has a fixed share of Slack's ~12,000
character budget and ends with "…and N more" when its lines do not fit, so a workspace of any
size yields a valid message instead of a refused one.
"""

from __future__ import annotations

from typing import Any

from bot.blocks.kit import Block, context, header, message, section, slack_date
from bot.blocks.roster import gap_phrase
from bot.blocks.text import channel, cut, escape, user
from models.enums import HandoffStatus, Stage
from models.schemas.digest import (
    ApprovedLine,
    DigestView,
    LeadTime,
    MonitorLine,
    OpenHandoffLine,
    OverdueLine,
    ProjectLine,
    WaitingOn,
)
from models.schemas.projects import RosterGap

# Shares of the message text budget (kit.TEXT_BUDGET, 11,000): together 10,600 leaves room for
# the header and the context (part titles count in their share); each stays under a
# section's 3,000.
OVERDUE_BUDGET = 2400
OPEN_BUDGET = 2400
ROSTER_BUDGET = 800
APPROVED_BUDGET = 1600
LEAD_TIME_BUDGET = 1000
PROJECTS_BUDGET = 1400
MONITORS_BUDGET = 1000
MORE_RESERVE = 24  # room for "…and 12345 more"

STAGE_ICON = {
    Stage.MANAGE: ":clipboard:",
    Stage.DEVELOP: ":hammer_and_wrench:",
    Stage.DEPLOY: ":rocket:",
    Stage.MONITOR: ":chart_with_upwards_trend:",
}


def digest_message(digest: dict[str, Any] | DigestView) -> dict[str, Any]:
    """A chat.postMessage payload; accepts the view or its JSON dump from the outbox row."""
    view = digest if isinstance(digest, DigestView) else DigestView.model_validate(digest)
    if view.nothing_new and view.scheduled:  # asked for, it shows the state all the same
        return message("Baton digest: nothing new", [section(_nothing_new(view))])
    blocks: list[Block] = [header(_title(view)), context(*_about(view))]
    blocks += [section(text) for text in _parts(view) if text]
    return message(_fallback(view), blocks)


def _title(view: DigestView) -> str:
    return f"Baton digest · {view.project_key}" if view.project_key else "Baton digest"


def _where(view: DigestView) -> str:
    return f" in {channel(view.channel_id)}" if view.channel_id else ""


def _about(view: DigestView) -> list[str]:
    about = [
        f"{_count(view.project_count, 'project')}{_where(view)}",
        f"as of {slack_date(view.generated_at)}",
    ]
    if view.since is not None:
        about.append(f"since {slack_date(view.since)}")
    return about


def _nothing_new(view: DigestView) -> str:
    since = f" since {slack_date(view.since)}" if view.since is not None else ""
    return (
        f":zzz: Nothing new{_where(view)}{since}: "
        "no open hand-offs, nothing overdue, nothing approved."
    )


def _fallback(view: DigestView) -> str:
    return (
        f"Baton digest: {_count(view.total('open_handoffs'), 'open hand-off')}, "
        f"{_count(view.total('overdue_signoffs'), 'overdue sign-off')}"
    )


def _parts(view: DigestView) -> list[str]:
    since = f" since {slack_date(view.since)}" if view.since is not None else ""
    return [
        _part(view, "Overdue sign-offs", "overdue_signoffs", _overdue_line, OVERDUE_BUDGET),
        _part(view, "Open hand-offs", "open_handoffs", _open_line, OPEN_BUDGET)
        or "*Open hand-offs (0)*\nNone: nothing waits on a sign-off.",
        _part(view, "Roster gaps", "roster_gaps", roster_gap_line, ROSTER_BUDGET),
        _part(view, f"Approved{since}", "approved_since", _approved_line, APPROVED_BUDGET),
        _part(
            view,
            "Lead times, request → approval, last 90 days",
            "lead_times",
            lead_time_line,
            LEAD_TIME_BUDGET,
        ),
        _part(view, "Monitors", "monitors", monitor_line, MONITORS_BUDGET),
        _projects(view),
    ]


def _part(view: DigestView, title: str, part: str, line: Any, budget: int) -> str:
    items: list[Any] = getattr(view, part)
    if not items:
        return ""
    total = view.total(part)  # the digest keeps only the first lines of a long part
    heading = f"*{title} ({total})*"
    lines = [line(i) for i in items]
    return heading + "\n" + pack(lines, budget - len(heading) - 1, "\n", total)


def pack(lines: list[str], budget: int, sep: str, total: int | None = None) -> str:
    """As many whole lines as fit in `budget`, then "…and N more" for the rest (`total`: the
    lines there are in all, when `lines` are only the first of them)."""
    total = len(lines) if total is None else total
    kept: list[str] = []
    used = 0
    for i, line in enumerate(lines):
        room = budget - (MORE_RESERVE if i < total - 1 else 0)
        if used + len(sep) + len(line) > room:
            kept.append(f"…and {total - i} more")
            return sep.join(kept)
        kept.append(line)
        used += len(sep) + len(line)
    if total > len(lines):
        kept.append(f"…and {total - len(lines)} more")
    return sep.join(kept)


def _duration(hours: float) -> str:
    if hours < 1:
        return f"{round(hours * 60)}m"
    if hours < 10:
        return f"{hours:.1f}".removesuffix(".0") + "h"
    if hours < 48:
        return f"{round(hours)}h"
    return f"{hours / 24:.1f}".removesuffix(".0") + "d"


def _lead(user_id: str | None) -> str:
    return user(user_id) if user_id else "_no lead_"


def _overdue_line(o: OverdueLine) -> str:
    return (
        f":alarm_clock: `{escape(o.project_key)}` {o.transition} · *{escape(o.label)}* "
        f"{_lead(o.lead)} · {_duration(o.hours_overdue)} overdue"
    )


def _waiting(w: WaitingOn) -> str:
    return f"*{escape(w.label)}* ({_lead(w.lead)})"


def _open_line(h: OpenHandoffLine) -> str:
    start = f"`{escape(h.project_key)}` {h.transition} · {_duration(h.age_hours)} old"
    if h.status == HandoffStatus.CHANGES_REQUESTED:
        return f":memo: {start} · changes requested, waiting on {user(h.requested_by)}"
    late = " · :alarm_clock: overdue" if h.overdue else ""
    waiting = ", ".join(_waiting(w) for w in h.waiting_on) or "nobody"
    return f":hourglass_flowing_sand: {start} · waiting on {waiting}{late}"


def roster_gap_line(g: RosterGap) -> str:
    """The project's next hand-off cannot be signed until these roles have a lead."""
    return f":warning: `{escape(g.project_key)}` {gap_phrase(g)}"


def _approved_line(a: ApprovedLine) -> str:
    return (
        f":white_check_mark: `{escape(a.project_key)}` {a.transition} · approved "
        f"{slack_date(a.approved_at)} after {_duration(a.hours)}"
    )


def lead_time_line(t: LeadTime) -> str:
    return (
        f"{t.transition}: median {_duration(t.median_hours)}, "
        f"90th percentile {_duration(t.p90_hours)} ({t.count} approved)"
    )


def monitor_line(m: MonitorLine) -> str:
    value = "no value yet" if m.last_value is None else f"{m.last_value:g}"
    line = f"`{escape(m.project_key)}` *{escape(m.metric)}* {value} ({m.direction} {m.threshold:g})"
    if m.alert:
        line += f" :rotating_light: alert {m.alert}"
    if m.breaches_since:
        breaches = "breach" if m.breaches_since == 1 else "breaches"
        line += f" · {m.breaches_since} {breaches} since the last digest"
    if m.source_error:
        line += f" · :warning: source failing: {cut(escape(m.source_error), 120)}"
    return line


def _projects(view: DigestView) -> str:
    stages = view.projects_by_stage
    if not stages:
        return ""
    heading = f"*Projects by stage ({view.project_count})*"
    share = (PROJECTS_BUDGET - len(heading)) // len(stages) - 1
    lines = [
        _stage_line(Stage(stage), items, share, view.total(f"projects_by_stage.{stage}"))
        for stage, items in stages.items()
    ]
    return "\n".join([heading, *lines])


def _stage_line(stage: Stage, items: list[ProjectLine], budget: int, total: int) -> str:
    start = f"{STAGE_ICON.get(stage, '')} *{stage.value.capitalize()}* ({total}): "
    names = [f"`{escape(p.key)}` {escape(p.name)}" for p in items]
    return start + pack(names, budget - len(start), ", ", total)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"
