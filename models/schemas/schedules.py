"""A channel's digest schedule, as `/mlops digest schedule` shows it."""

from __future__ import annotations

from datetime import datetime

from models.schemas.base import View


class ScheduleView(View):
    id: int
    team_id: str
    channel_id: str
    cron: str
    timezone: str
    next_run_at: datetime
    last_sent_at: datetime | None
    created_by: str
