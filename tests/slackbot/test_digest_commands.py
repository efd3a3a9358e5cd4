"""`/mlops digest schedule` and `/mlops digest now`, through the real endpoint and delivery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.scheduler import job_context
from jobs import digests_due
from models import AuditEvent, DigestSchedule
from models.schemas.base import Actor
from models.services import monitoring, schedules
from tests.slackbot.flow import PACKETS, request_handoff, text_of
from tests.slackbot.harness import HOME

MINUTE = timedelta(minutes=1)


def stored(db) -> list[DigestSchedule]:
    with db.session() as s:
        return list(s.scalars(select(DigestSchedule)))


def test_schedule_stores_cron_and_zone_and_replies_with_the_next_run(clock, bot, slack, db):
    reply = bot.reply('digest schedule "0 9 * * 1-5" Europe/Berlin', user="UALICE")

    (schedule,) = stored(db)
    assert (schedule.team_id, schedule.channel_id) == ("THOME", "CCHURN")
    assert (schedule.cron, schedule.timezone) == ("0 9 * * mon-fri", "Europe/Berlin")
    # Monday 09:00 UTC is 10:00 in Berlin: the next run is Tuesday 09:00 there, 08:00 UTC.
    next_run = datetime(2026, 3, 3, 8, 0, tzinfo=UTC)
    assert schedule.next_run_at == next_run
    assert reply["response_type"] == "ephemeral"
    said = text_of(reply)
    assert f"<!date^{int(next_run.timestamp())}^" in said
    assert "`0 9 * * mon-fri`" in said and "Europe/Berlin" in said
    with db.session() as s:
        assert s.scalars(
            select(AuditEvent.actor).where(AuditEvent.action == "digest.scheduled")
        ).all() == ["UALICE"]


def test_schedule_without_a_zone_uses_baton_timezone_and_replaces_the_old_one(
    clock, bot, slack, db
):
    bot.reply('digest schedule "0 9 * * 1-5" Europe/Berlin', user="UALICE")
    bot.reply("digest schedule 30 16 * * fri", user="UBOB")

    (schedule,) = stored(db)
    assert (schedule.cron, schedule.timezone) == ("30 16 * * fri", "UTC")
    assert schedule.next_run_at == datetime(2026, 3, 6, 16, 30, tzinfo=UTC)


def test_a_bad_schedule_is_refused_and_nothing_is_stored(clock, bot, slack, db):
    said = text_of(bot.reply('digest schedule "0 25 * * *"', user="UALICE"))
    assert "not a valid cron schedule" in said and "Usage:" in said
    assert stored(db) == []


def test_digest_now_posts_this_channels_digest(bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])

    reply = bot.reply("digest now", user=seeded.intern)
    assert reply["response_type"] == "ephemeral"
    assert "Digest posted to <#CCHURN>" in text_of(reply)
    bot.deliver()

    said = text_of(slack.last_message(seeded.channel))
    assert "Baton digest" in said and "`churn-model` manage → develop" in said
    assert f"<@{seeded.architect}>" in said


def test_digest_now_with_a_key_posts_that_project_here(bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])

    reply = bot.reply("digest now churn-model", user="UANY", channel="CELSEWHERE")
    assert "Digest of `churn-model` posted to <#CELSEWHERE>" in text_of(reply)
    bot.deliver()
    assert "`churn-model` manage → develop" in text_of(slack.last_message("CELSEWHERE"))


def test_digest_now_for_an_unknown_project_says_so(bot, slack, db, seeded):
    bot.deliver()  # what seeding the roster queued
    said = text_of(bot.reply("digest now nope", user="UANY"))
    assert "No project 'nope'" in said
    assert bot.deliver() == 0


def test_digest_now_shows_the_state_though_nothing_changed_since_the_scheduled_one(
    clock, bot, slack, db, seeded
):
    """The scheduled digest with nothing to report is one line saying since when; asked for
    a moment later, the digest still shows the projects, the open hand-offs and the monitors."""
    monday_9 = clock.now()
    with db.session() as s:
        schedules.set_schedule(
            s, Actor(HOME, "UALICE"), seeded.channel, "0 9 * * *", "UTC", monday_9 - MINUTE
        )
        monitoring.add_monitor(s, Actor(HOME, seeded.ds), seeded.key, "auc", "min", 0.8)
    ctx = job_context(bot.baton.rt)
    assert digests_due.run(ctx, monday_9) == 1  # Monday's
    clock.advance(days=1)
    assert digests_due.run(ctx, clock.now()) == 1  # Tuesday's: nothing happened since Monday's
    bot.deliver()

    quiet = text_of(slack.last_message(seeded.channel))
    since_monday = f"since <!date^{int(monday_9.timestamp())}^"
    assert f":zzz: Nothing new in <#{seeded.channel}> {since_monday}" in quiet

    clock.advance(hours=1)
    reply = bot.reply("digest now", user=seeded.intern)
    assert "Digest posted to <#CCHURN>" in text_of(reply)
    bot.deliver()

    said = text_of(slack.last_message(seeded.channel))
    assert "Nothing new" not in said and said.startswith("Baton digest")
    assert "*Manage* (1): `churn-model` Churn model" in said
    assert "*Open hand-offs (0)*" in said
    assert "`churn-model` *auc* no value yet (min 0.8)" in said
    tuesday_9 = int((monday_9 + timedelta(days=1)).timestamp())
    assert f"since <!date^{tuesday_9}^" in said  # new is still counted from the last digest
