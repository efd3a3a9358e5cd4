"""Replies to `monitor add|list|remove` and `metric`. Pure functions of monitoring views."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.blocks.kit import Block, age, header, message, section
from bot.blocks.text import cut, escape, slash_command, user
from models.schemas.monitoring import MonitorView, ObservationResult

SECTION_BUDGET = 2800  # room under the section limit for the joining newlines
ERROR_SHOWN_MAX = 200
URL_SHOWN_MAX = 120


def monitor_added(view: MonitorView) -> dict[str, Any]:
    text = (
        f":white_check_mark: Monitoring *{escape(view.metric)}* on `{escape(view.project_key)}`: "
        f"an alert opens when it goes {view.rule} and pings the "
        f"{escape(view.owner_role.label)} lead. Record values with "
        f"`{slash_command()} metric {escape(view.project_key)} {escape(view.metric)} &lt;value&gt;`."
    )
    if view.source_kind and view.source_url:
        url = escape(cut(view.source_url, URL_SHOWN_MAX))
        text += f"\nBaton polls {view.source_kind} `{url}` every {view.poll_seconds} s."
    return message(f"Monitoring {view.metric} on {view.project_key}", [section(text)])


def monitor_removed(view: MonitorView) -> dict[str, Any]:
    text = (
        f":heavy_multiplication_x: Stopped monitoring *{escape(view.metric)}* on "
        f"`{escape(view.project_key)}`. Its past values stay in the record."
    )
    return message(f"Stopped monitoring {view.metric}", [section(text)])


def monitor_list(key: str, views: list[MonitorView], now: datetime) -> dict[str, Any]:
    if not views:
        text = (
            f"`{escape(key)}` has no monitors. Add one with "
            f"`{slash_command()} monitor add {escape(key)} &lt;metric&gt; &lt;min|max&gt; &lt;threshold&gt;`."
        )
        return message(f"No monitors on {key}", [section(text)])
    lines = [monitor_line(v, now) for v in views]
    return message(f"Monitors of {key}", [header(f"Monitors · {key}"), *_packed(lines)])


def monitor_line(view: MonitorView, now: datetime) -> str:
    parts = [f"• *{escape(view.metric)}* alerts {view.rule}"]
    if view.last_value is not None and view.last_observed_at is not None:
        parts.append(f"last {view.last_value:g} ({age(view.last_observed_at, now)} ago)")
    else:
        parts.append("no value yet")
    if view.open_alert == "open":
        parts.append(":rotating_light: alert open")
    elif view.open_alert == "acknowledged":
        parts.append(":eyes: alert acknowledged")
    line = " · ".join(parts)
    if view.source_kind and view.source_url:
        shown = cut(escape(view.source_url), URL_SHOWN_MAX)
        line += f"\n    pulled from {view.source_kind} `{shown}` every {view.poll_seconds}s"
    elif view.source_hidden:
        line += f"\n    pulled from {view.source_kind}; its members see where from"
    if view.last_error:
        line += f"\n    :warning: last pull failed: {cut(escape(view.last_error), ERROR_SHOWN_MAX)}"
    return line


def metric_recorded(result: ObservationResult) -> dict[str, Any]:
    m = result.monitor
    said = f"Recorded *{escape(m.metric)}* = *{result.value:g}* on `{escape(m.project_key)}`."
    if result.alert_opened is not None:
        who = f"{user(result.owner_user)} pinged" if result.owner_user else "no lead to ping"
        outcome = f":rotating_light: That is {m.rule}: alert posted in the channel, {who}."
    elif result.alert_resolved is not None:
        outcome = ":white_check_mark: Back within its threshold: the alert is resolved."
    elif result.breach:
        outcome = f":rotating_light: Still {m.rule}; its alert is already open."
    else:
        outcome = f"Within its threshold (alerts {m.rule})."
    return message(f"Recorded {m.metric} = {result.value:g}", [section(f"{said} {outcome}")])


def _packed(lines: list[str]) -> list[Block]:
    """Lines packed into as few sections as the section text limit allows."""
    blocks: list[Block] = []
    chunk: list[str] = []
    for line in lines:
        if chunk and sum(len(c) + 1 for c in chunk) + len(line) > SECTION_BUDGET:
            blocks.append(section("\n".join(chunk)))
            chunk = []
        chunk.append(line)
    if chunk:
        blocks.append(section("\n".join(chunk)))
    return blocks
