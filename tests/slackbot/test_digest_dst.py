"""Scheduled digests across daylight saving, through the real scheduler tick and the outbox to
(fake) Slack: a local time fires once a day whether clocks go back (the repeated hour) or
forward (the skipped hour), in both hemispheres."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.scheduler import Scheduler, job_context
from models.schemas.base import Actor
from models.services import schedules
from tests.slackbot.flow import text_of
from tests.slackbot.harness import HOME

# The real tick is 15 s. Every start and fire time here is on a half hour, so a tick lands on
# each; a digest wrongly due between two ticks is posted at the next one, which the test sees.
TICK = timedelta(minutes=30)
AROUND = (timedelta(hours=2), timedelta(hours=3))  # ticked densely before and after each fire


def utc(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


CASES = {
    # Clocks go back at 03:00 CEST (01:00 UTC): 02:30 happens at 00:30 and again at 01:30 UTC.
    "berlin-repeated-hour": (
        "30 2 * * *",
        "Europe/Berlin",
        utc(10, 24, 22),
        [utc(10, 25, 0, 30), utc(10, 26, 1, 30)],
    ),
    # Clocks go forward at 02:00 CET (01:00 UTC): 02:30 never happens; it fires at 03:30 CEST.
    "berlin-skipped-hour": (
        "30 2 * * *",
        "Europe/Berlin",
        utc(3, 28, 22),
        [utc(3, 29, 1, 30), utc(3, 30, 0, 30)],
    ),
    "berlin-nine-o-clock-spring": (
        "0 9 * * mon-fri",
        "Europe/Berlin",
        utc(3, 27, 6),
        [utc(3, 27, 8), utc(3, 30, 7)],  # Friday 09:00 CET, Monday 09:00 CEST
    ),
    # New York goes back at 02:00 EDT (06:00 UTC): 01:30 happens at 05:30 and 06:30 UTC.
    "new-york-repeated-hour": (
        "30 1 * * *",
        "America/New_York",
        utc(10, 31, 22),
        [utc(11, 1, 5, 30), utc(11, 2, 6, 30)],
    ),
    "new-york-skipped-hour": (
        "30 2 * * *",
        "America/New_York",
        utc(3, 7, 22),
        [utc(3, 8, 7, 30), utc(3, 9, 6, 30)],
    ),
    # Southern hemisphere: Sydney goes back in April (03:00 AEDT -> 02:00 AEST, 16:00 UTC)...
    "sydney-repeated-hour": (
        "30 2 * * *",
        "Australia/Sydney",
        utc(4, 4, 10),
        [utc(4, 4, 15, 30), utc(4, 5, 16, 30)],
    ),
    # ... and forward in October (02:00 AEST -> 03:00 AEDT, 16:00 UTC).
    "sydney-skipped-hour": (
        "30 2 * * *",
        "Australia/Sydney",
        utc(10, 3, 10),
        [utc(10, 3, 16, 30), utc(10, 4, 15, 30)],
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_daily_digest_posts_once_a_local_day_across_a_clock_change(
    bot, slack, seeded, case: str
) -> None:
    cron, zone, start, expected = CASES[case]
    with bot.baton.rt.session() as s:
        schedules.set_schedule(s, Actor(HOME, seeded.creator), seeded.channel, cron, zone, start)
    # A long grace, so a digest wrongly due between the ticked stretches is posted (late, and
    # at a time the test sees), never skipped as missed.
    ctx = replace(job_context(bot.baton.rt), digest_grace_seconds=7 * 24 * 3600)
    scheduler = Scheduler(ctx, deliverer_kick=bot.deliver)

    posted_at = []
    for now in tick_times(start, expected):
        before = len(slack.messages(seeded.channel))
        scheduler.tick(now)
        posted_at += [now] * (len(slack.messages(seeded.channel)) - before)

    assert posted_at == expected
    assert all("Baton digest" in text_of(m) for m in slack.messages(seeded.channel))


def tick_times(start: datetime, fires: list[datetime]) -> list[datetime]:
    """Every quarter hour from `start` through the first fire and the repeated or skipped
    hour after it, then around each later fire."""
    times: list[datetime] = []
    for fire in fires:
        now = max(fire - AROUND[0], times[-1] + TICK if times else start)
        while now <= fire + AROUND[1]:
            times.append(now)
            now += TICK
    return [start, *times] if times[0] != start else times
