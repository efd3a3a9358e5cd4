"""Crontab rules of digest schedules: how a typed crontab is stored, and when it next fires.

Two rules every way in must share (the slash command, the API, the CLI, tests), so they live
here and not in the parser:

- Weekdays are stored as names. Crontab counts 0 (and 7) as Sunday; APScheduler 3 reads the
  numbers with 0 as Monday, so "1-5" stored as typed would fire Tuesday to Saturday.
- A local time fires at most once a day. When clocks go back, the repeated hour's second
  pass is skipped (cron's own rule), so `30 2 * * *` in Europe/Berlin posts one digest on the
  night of the change, at the first 02:30. A time in the hour skipped when clocks go forward
  fires once, at the same minute an hour later (APScheduler's rule: 02:30 becomes 03:30).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from itertools import groupby
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from models.errors import DomainError

WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
WEEKDAY_PART = re.compile(r"(?:\*|(?P<lo>\w+)(?:-(?P<hi>\w+))?)(?:/(?P<step>[0-9]{1,2}))?")
_ONE_TICK = timedelta(microseconds=1)


def normalise(expr: str) -> str:
    """A 5-field crontab with day-of-week names, validated by APScheduler; DomainError if not.

    Idempotent: a normalised crontab normalises to itself."""
    fields = expr.split()
    if len(fields) != 5:
        raise DomainError(
            f"a cron schedule has 5 fields (minute hour day month weekday), not '{expr}'"
        )
    fields[4] = _weekdays(fields[4])
    normalised = " ".join(fields)
    try:
        CronTrigger.from_crontab(normalised, timezone="UTC")
    except ValueError as e:
        raise DomainError(f"'{expr}' is not a valid cron schedule: {e}") from e
    return normalised


def next_fire(cron: str, timezone: str, after: datetime, *, inclusive: bool = True) -> datetime:
    """The first fire time at or (inclusive=False) strictly after `after`, in UTC.

    The crontab is matched against local wall-clock time, and each wall time is placed at its
    first pass (fold=0): a time in the repeated hour fires once, a time in the skipped hour
    an hour later. APScheduler's own zone handling is not used for this: in the repeated hour
    it can return a time before `start` (3.11.3: `*/20` cycles between the two passes)."""
    zone = _zone(timezone)
    trigger = _trigger(cron)
    start = after if inclusive else after + _ONE_TICK
    wall = trigger.get_next_fire_time(None, _wall(start, zone))
    while wall is not None:
        fire = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
        if fire >= start:  # a wall time passed already (its first pass is behind us): next
            return fire
        wall = trigger.get_next_fire_time(None, wall + _ONE_TICK)
    raise DomainError(f"The schedule '{cron}' never fires again.")


def _wall(moment: datetime, zone: ZoneInfo) -> datetime:
    """The local wall-clock time at `moment`, labelled UTC so the trigger sees no DST."""
    return moment.astimezone(zone).replace(tzinfo=UTC, fold=0)


def _zone(timezone: str) -> ZoneInfo:
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise DomainError(f"'{timezone}' is not a time zone: use an IANA name.") from exc


def _trigger(cron: str) -> CronTrigger:
    try:
        return CronTrigger.from_crontab(cron, timezone=UTC)
    except ValueError as exc:
        raise DomainError(f"'{cron}' is not a valid cron schedule: {exc}") from exc


def _weekdays(field: str) -> str:
    """Crontab weekdays (0 and 7 are Sunday) as names, or `*` for every day."""
    days: set[int] = set()
    for part in field.lower().split(","):
        days |= _weekday_part(part)
    return "*" if len(days) == 7 else _day_list(days)


def _day_list(days: set[int]) -> str:
    # Sunday stays out of ranges: "sun-tue" is a range in crontab but backwards in APScheduler 3.
    parts = []
    for _, run in groupby(enumerate(sorted(days - {0})), key=lambda pair: pair[1] - pair[0]):
        names = [WEEKDAYS[day] for _, day in run]
        parts.append(f"{names[0]}-{names[-1]}" if len(names) > 2 else ",".join(names))
    return ",".join([*parts, "sun"] if 0 in days else parts)


def _weekday_part(part: str) -> set[int]:
    match = WEEKDAY_PART.fullmatch(part)
    if not match:
        raise DomainError(f"'{part}' is not a day of the week (0–7 or sun–sat)")
    lo_word, hi_word, step = match["lo"], match["hi"], int(match["step"] or 1)
    lo = _weekday(lo_word) if lo_word else 0
    hi = _weekday(hi_word) if hi_word else (lo if lo_word and not match["step"] else 7)
    if step == 0 or lo > hi:
        raise DomainError(f"'{part}' is not a valid range of weekdays")
    return {d % 7 for d in range(lo, hi + 1, step)}


def _weekday(word: str) -> int:
    if word in WEEKDAYS:
        return WEEKDAYS.index(word)
    if word.isascii() and word.isdigit() and len(word) == 1 and int(word) <= 7:
        return int(word)
    raise DomainError(f"'{word}' is not a day of the week (0–7 or sun–sat)")
