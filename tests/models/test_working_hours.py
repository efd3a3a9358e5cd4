"""Working hours: parsing BATON_WORKING_HOURS, and when a person in a zone may be reminded."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from bot.config import Settings
from models.working_hours import DEFAULT_WORKING_HOURS, WorkingHours, tomorrow_at_nine

DEFAULT = WorkingHours.parse(DEFAULT_WORKING_HOURS)
WED_0900_UTC = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)  # 02:00 in Denver (UTC-7)


def test_a_time_at_night_in_the_persons_zone_waits_for_their_nine_oclock():
    assert DEFAULT.is_open(WED_0900_UTC, "UTC")
    assert not DEFAULT.is_open(WED_0900_UTC, "America/Denver")
    assert DEFAULT.next_opening(WED_0900_UTC, "America/Denver") == datetime(
        2026, 3, 4, 16, 0, tzinfo=UTC
    )


def test_friday_evening_waits_for_monday_and_the_end_is_exclusive():
    friday_six = datetime(2026, 3, 6, 18, 0, tzinfo=UTC)
    assert not DEFAULT.is_open(friday_six, None)
    assert DEFAULT.next_opening(friday_six, None) == datetime(2026, 3, 9, 9, 0, tzinfo=UTC)


def test_day_lists_ranges_and_wrapping_ranges():
    hours = WorkingHours.parse("mon-thu,sat 08:30-17:00")
    assert hours.days == frozenset({0, 1, 2, 3, 5})
    assert WorkingHours.parse("fri-mon 10:00-12:00").days == frozenset({4, 5, 6, 0})


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("weekdays", "not like"),
        ("mon-fri 18:00-09:00", "must end after it starts"),
        ("mon-fry 09:00-18:00", "days are"),
        ("mon-fri 25:00-26:00", "hours are"),
    ],
)
def test_bad_settings_are_refused_with_a_reason(text, why):
    with pytest.raises(ValueError, match=why):
        WorkingHours.parse(text)
    with pytest.raises(ValidationError, match=why):
        Settings(baton_working_hours=text, _env_file=None)


def test_tomorrow_at_nine_is_in_the_persons_zone_and_an_unknown_zone_is_utc():
    assert tomorrow_at_nine(WED_0900_UTC, "Asia/Tokyo") == datetime(2026, 3, 5, 0, 0, tzinfo=UTC)
    assert DEFAULT.is_open(WED_0900_UTC, "Not/AZone")
