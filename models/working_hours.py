"""When a person may be reminded: working days and hours in their own time zone.

Written as BATON_WORKING_HOURS reads, e.g. "mon-fri 09:00-18:00" (the default) or
"mon-thu,sat 08:30-17:00". A reminder due outside the window waits for its next opening.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DEFAULT_WORKING_HOURS = "mon-fri 09:00-18:00"
_SPEC = re.compile(r"^\s*([a-z,\-]+)\s+(\d{2}):(\d{2})\s*-\s*(\d{2}):(\d{2})\s*$")


@dataclass(frozen=True)
class WorkingHours:
    days: frozenset[int]  # 0 = Monday
    start: time
    end: time

    @classmethod
    def parse(cls, text: str) -> WorkingHours:
        match = _SPEC.match(text.lower())
        if match is None:
            raise ValueError(f"'{text}' is not like 'mon-fri 09:00-18:00'")
        days, h1, m1, h2, m2 = match.groups()
        try:
            start, end = time(int(h1), int(m1)), time(int(h2), int(m2))
        except ValueError:
            raise ValueError(f"'{text}': hours are 00:00 to 23:59") from None
        if start >= end:
            raise ValueError(f"'{text}': the day must end after it starts")
        return cls(_days(days, text), start, end)

    def is_open(self, at: datetime, zone: str | None) -> bool:
        local = at.astimezone(zone_named(zone))
        return local.weekday() in self.days and self.start <= local.time() < self.end

    def next_opening(self, at: datetime, zone: str | None) -> datetime:
        """`at` itself inside the window, else the next start of a working day (UTC)."""
        if self.is_open(at, zone):
            return at
        local = at.astimezone(zone_named(zone))
        for ahead in range(8):
            day = (local + timedelta(days=ahead)).date()
            start = datetime.combine(day, self.start, local.tzinfo)
            if day.weekday() in self.days and start > local:
                return start.astimezone(UTC)
        raise AssertionError("a week always holds a working day")


def _days(spec: str, text: str) -> frozenset[int]:
    found: set[int] = set()
    for part in spec.split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"'{text}': days are {', '.join(DAYS)}")
        a, b = DAYS.index(first), DAYS.index(last or first)
        found |= set(range(a, b + 1)) if a <= b else set(range(a, 7)) | set(range(0, b + 1))
    return frozenset(found)


def zone_named(name: str | None) -> ZoneInfo:
    """The zone Slack named, or UTC for none (or one this system lacks)."""
    try:
        return ZoneInfo(name or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")  # a zone Slack gave that this system lacks: UTC, not a crash


def tomorrow_at_nine(at: datetime, zone: str | None) -> datetime:
    local = at.astimezone(zone_named(zone))
    nine = datetime.combine(local.date() + timedelta(days=1), time(9), local.tzinfo)
    return nine.astimezone(UTC)
