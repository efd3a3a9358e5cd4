"""Digest schedules: one per channel, next runs in the channel's time zone, defaults for
every home channel, and advancing past a run without replaying missed ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from models import AuditEvent, DigestSchedule
from models.errors import DomainError
from models.schedule import DEFAULT_DIGEST_CRON
from models.schemas.base import Actor
from models.services import projects, schedules
from tests.conftest import Database

T, T_OTHER = "T_HOME", "T_OTHER"
ALICE = Actor(T, "U_ALICE")
MONDAY_9 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday; 10:00 in Berlin
WEEKDAYS_9 = "0 9 * * mon-fri"  # what the parser makes of "0 9 * * 1-5"


def make_project(db: Database, key: str, channel: str, team: str = T) -> None:
    with db.session() as s:
        projects.create_project(s, Actor(team, "U_CREATOR"), key, None, channel)


def all_schedules(db: Database) -> list[DigestSchedule]:
    with db.session() as s:
        return list(s.scalars(select(DigestSchedule).order_by(DigestSchedule.id)))


def test_a_channel_schedule_runs_next_in_its_own_time_zone(db: Database) -> None:
    with db.session() as s:
        view = schedules.set_schedule(s, ALICE, "C_ML", WEEKDAYS_9, "Europe/Berlin", MONDAY_9)

    # 09:00 Monday has passed in Berlin (it is 10:00 there): Tuesday 09:00 CET is 08:00 UTC.
    assert view.next_run_at == datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    (row,) = all_schedules(db)
    assert (row.team_id, row.channel_id, row.cron, row.timezone, row.created_by) == (
        T,
        "C_ML",
        WEEKDAYS_9,
        "Europe/Berlin",
        ALICE.user_id,
    )
    assert row.next_run_at == view.next_run_at and row.last_sent_at is None


def test_setting_a_schedule_again_replaces_it_and_each_change_is_audited(db: Database) -> None:
    with db.session() as s:
        schedules.set_schedule(s, ALICE, "C_ML", WEEKDAYS_9, "UTC", MONDAY_9)
    with db.session() as s:
        view = schedules.set_schedule(
            s, Actor(T, "U_BOB"), "C_ML", "30 17 * * fri", "UTC", MONDAY_9
        )

    (row,) = all_schedules(db)
    assert (row.cron, row.next_run_at) == (
        "30 17 * * fri",
        datetime(2026, 3, 6, 17, 30, tzinfo=UTC),
    )
    assert (view.id, row.created_by) == (row.id, "U_BOB")
    with db.session() as s:
        audited = s.execute(
            select(AuditEvent.actor, AuditEvent.detail)
            .where(AuditEvent.action == "digest.scheduled")
            .order_by(AuditEvent.id)
        ).all()
    assert [(actor, detail["cron"]) for actor, detail in audited] == [
        ("U_ALICE", WEEKDAYS_9),
        ("U_BOB", "30 17 * * fri"),
    ]


def test_a_fire_time_that_is_now_is_due_now(db: Database) -> None:
    with db.session() as s:
        view = schedules.set_schedule(s, ALICE, "C_ML", WEEKDAYS_9, "UTC", MONDAY_9)
        assert view.next_run_at == MONDAY_9
        assert [v.id for v in schedules.due_schedules(s, MONDAY_9)] == [view.id]


@pytest.mark.parametrize(
    ("cron", "timezone", "reason"),
    [
        ("0 25 * * *", "UTC", "not a valid cron schedule"),
        ("0 9 * * mon-fri", "Mars/Olympus", "not a time zone"),
    ],
)
def test_a_bad_schedule_is_refused_and_nothing_is_stored(
    db: Database, cron: str, timezone: str, reason: str
) -> None:
    with pytest.raises(DomainError, match=reason), db.session() as s:
        schedules.set_schedule(s, ALICE, "C_ML", cron, timezone, MONDAY_9)
    assert all_schedules(db) == []


def test_due_schedules_span_every_workspace_longest_waiting_first(db: Database) -> None:
    with db.session() as s:
        late = schedules.set_schedule(
            s, ALICE, "C_A", "0 8 * * *", "UTC", MONDAY_9 - timedelta(hours=2)
        )
        other = schedules.set_schedule(
            s, Actor(T_OTHER, "U_X"), "C_B", "30 8 * * *", "UTC", MONDAY_9 - timedelta(hours=2)
        )
        schedules.set_schedule(s, ALICE, "C_C", "0 10 * * *", "UTC", MONDAY_9)
    with db.session() as s:
        due = schedules.due_schedules(s, MONDAY_9)
    assert [(v.id, v.team_id) for v in due] == [(late.id, T), (other.id, T_OTHER)]


def test_advance_moves_strictly_past_the_run_and_starts_the_next_window(db: Database) -> None:
    with db.session() as s:
        view = schedules.set_schedule(s, ALICE, "C_ML", WEEKDAYS_9, "UTC", MONDAY_9)
        row = s.get(DigestSchedule, view.id)
        schedules.advance(s, row, MONDAY_9, MONDAY_9)
        assert (row.next_run_at, row.last_sent_at) == (MONDAY_9 + timedelta(days=1), MONDAY_9)


def test_runs_missed_while_down_are_not_replayed_one_by_one(db: Database) -> None:
    friday_noon = datetime(2026, 3, 6, 12, 0, tzinfo=UTC)
    with db.session() as s:
        view = schedules.set_schedule(s, ALICE, "C_ML", WEEKDAYS_9, "UTC", MONDAY_9)
        row = s.get(DigestSchedule, view.id)
        schedules.advance(s, row, MONDAY_9, friday_noon, sent=False)
        # Tuesday to Friday were missed: the next run is Monday's, and the window stays open.
        assert row.next_run_at == datetime(2026, 3, 9, 9, 0, tzinfo=UTC)
        assert row.last_sent_at is None


def test_local_time_holds_across_daylight_saving(db: Database) -> None:
    friday = datetime(2026, 3, 27, 8, 0, tzinfo=UTC)  # 09:00 CET; Berlin moves to CEST on Sunday
    with db.session() as s:
        view = schedules.set_schedule(s, ALICE, "C_ML", WEEKDAYS_9, "Europe/Berlin", friday)
        row = s.get(DigestSchedule, view.id)
        schedules.advance(s, row, friday, friday)
        assert row.next_run_at == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)  # 09:00 CEST


def test_every_live_home_channel_gets_the_default_schedule_once(db: Database) -> None:
    make_project(db, "churn", "C_ML")
    make_project(db, "fraud", "C_ML")  # same channel: one digest for both
    make_project(db, "ranker", "C_RANK", team=T_OTHER)
    make_project(db, "legacy", "C_OLD")
    with db.session() as s:
        projects.archive_project(s, Actor(T, "U_CREATOR"), "legacy")

    with db.session() as s:
        assert schedules.ensure_default_schedules(s, "Europe/Berlin", MONDAY_9) == 2
    with db.session() as s:
        assert schedules.ensure_default_schedules(s, "Europe/Berlin", MONDAY_9) == 0

    made = {(r.team_id, r.channel_id): r for r in all_schedules(db)}
    assert set(made) == {(T, "C_ML"), (T_OTHER, "C_RANK")}
    for row in made.values():
        assert (row.cron, row.timezone, row.created_by) == (
            DEFAULT_DIGEST_CRON,
            "Europe/Berlin",
            "baton",
        )
        assert row.next_run_at == datetime(2026, 3, 3, 8, 0, tzinfo=UTC)


def test_defaults_never_overwrite_a_channel_own_schedule(db: Database) -> None:
    make_project(db, "churn", "C_ML")
    with db.session() as s:
        schedules.set_schedule(s, ALICE, "C_ML", "0 7 * * mon", "UTC", MONDAY_9)
    with db.session() as s:
        assert schedules.ensure_default_schedules(s, "UTC", MONDAY_9) == 0
    (row,) = all_schedules(db)
    assert (row.cron, row.created_by) == ("0 7 * * mon", ALICE.user_id)


def test_list_schedules_is_one_workspace(db: Database) -> None:
    with db.session() as s:
        schedules.set_schedule(s, ALICE, "C_B", WEEKDAYS_9, "UTC", MONDAY_9)
        schedules.set_schedule(s, ALICE, "C_A", WEEKDAYS_9, "UTC", MONDAY_9)
        schedules.set_schedule(s, Actor(T_OTHER, "U_X"), "C_A", WEEKDAYS_9, "UTC", MONDAY_9)
    with db.session() as s:
        listed = schedules.list_schedules(s, T)
    assert [(v.team_id, v.channel_id) for v in listed] == [(T, "C_A"), (T, "C_B")]


def test_a_crontab_set_from_any_caller_reads_weekdays_as_crontab_does(db: Database) -> None:
    saturday = datetime(2026, 3, 7, 12, 0, tzinfo=UTC)
    with db.session() as s:  # not through the slash-command parser: the service normalises
        view = schedules.set_schedule(s, ALICE, "C_ML", "0 9 * * 1-5", "UTC", saturday)
        sunday = schedules.set_schedule(s, ALICE, "C_SUN", "0 9 * * 0", "UTC", saturday)
    assert (view.cron, view.next_run_at) == (WEEKDAYS_9, datetime(2026, 3, 9, 9, tzinfo=UTC))
    assert (sunday.cron, sunday.next_run_at) == ("0 9 * * sun", datetime(2026, 3, 8, 9, tzinfo=UTC))
    with db.session() as s:
        audited = s.scalars(select(AuditEvent.detail).order_by(AuditEvent.id)).all()
    assert [d["cron"] for d in audited] == [WEEKDAYS_9, "0 9 * * sun"]


def test_a_bad_weekday_from_any_caller_is_refused(db: Database) -> None:
    with pytest.raises(DomainError, match="'8' is not a day of the week"), db.session() as s:
        schedules.set_schedule(s, ALICE, "C_ML", "0 9 * * 8", "UTC", MONDAY_9)
    assert all_schedules(db) == []


def fires(cron: str, zone: str, after: datetime, count: int) -> list[datetime]:
    out = []
    for _ in range(count):
        after = schedules.next_fire(cron, zone, after, inclusive=False)
        out.append(after)
    return out


def test_every_twenty_minutes_runs_forward_through_the_repeated_hour() -> None:
    # APScheduler 3.11.3 alone cycles 02:40 CEST -> 02:00 CET -> 02:20 CEST here (backwards).
    got = fires("*/20 * * * *", "Europe/Berlin", datetime(2026, 10, 24, 23, 50, tzinfo=UTC), 5)
    at = [datetime(2026, 10, 25, h, m, tzinfo=UTC) for h, m in ((0, 0), (0, 20), (0, 40))]
    # 02:00-02:59 local ran once, in summer time; the next run is 03:00 CET.
    assert got == [
        *at,
        datetime(2026, 10, 25, 2, 0, tzinfo=UTC),
        datetime(2026, 10, 25, 2, 20, tzinfo=UTC),
    ]


def test_every_twenty_minutes_runs_on_through_the_skipped_hour() -> None:
    got = fires("*/20 * * * *", "Europe/Berlin", datetime(2026, 3, 29, 0, 30, tzinfo=UTC), 4)
    # 01:40 CET, then 02:00 (which does not exist) as 03:00 CEST, then 03:20 CEST: never twice.
    assert got == [
        datetime(2026, 3, 29, 0, 40, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 20, tzinfo=UTC),
        datetime(2026, 3, 29, 1, 40, tzinfo=UTC),
    ]


def test_a_time_whose_first_pass_is_behind_runs_the_next_day() -> None:
    # Asked at 02:40 CET (01:40 UTC), in the repeated hour's second pass: 02:45 ran at its first
    # pass (00:45 UTC), an hour ago, so the next run is tomorrow's 02:45 CET, never the past.
    asked = datetime(2026, 10, 25, 1, 40, tzinfo=UTC)
    assert schedules.next_fire("45 2 * * *", "Europe/Berlin", asked) == datetime(
        2026, 10, 26, 1, 45, tzinfo=UTC
    )
