"""Replies to `digest now` and `digest schedule`. Pure functions of ids and schedule views."""

from __future__ import annotations

from typing import Any

from bot.blocks.kit import message, section, slack_date
from bot.blocks.text import channel, escape
from models.schemas.schedules import ScheduleView


def digest_posted(channel_id: str, project_key: str | None) -> dict[str, Any]:
    of = f" of `{escape(project_key)}`" if project_key else ""
    text = f":newspaper: Digest{of} posted to {channel(channel_id)}."
    return message(f"Digest posted to {channel_id}", [section(text)])


def schedule_set(view: ScheduleView) -> dict[str, Any]:
    text = (
        f":calendar: Digest for {channel(view.channel_id)} scheduled: `{escape(view.cron)}` "
        f"in {escape(view.timezone)}. Next one: {slack_date(view.next_run_at)}."
    )
    return message(f"Digest scheduled, next {view.next_run_at:%Y-%m-%d %H:%M} UTC", [section(text)])
