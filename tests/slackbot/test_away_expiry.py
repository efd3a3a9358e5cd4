"""An absence that simply runs out, through the real scheduler tick on two replicas and the
clock: the day after its `until` begins where the person is, the job ends it once, audits it,
welcomes the person back with the sign-offs that are theirs again, tells the delegate they no
longer sign, and every copy of the card shows the lead as the signer again. `back` welcomes the
same way."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from sqlalchemy import select

from bot.scheduler import Scheduler, job_context
from models.audit import AuditEvent
from models.people import Absence
from models.schemas.base import SYSTEM_USER
from models.sentences import Names, sentence
from tests.slackbot.flow import PACKETS, request_handoff, text_of

SAM = "USAM"
WELCOME = "Welcome back: these sign-offs are yours again"
NO_LONGER = "is back, so you no longer sign for them"
LOS_ANGELES = "America/Los_Angeles"  # UTC-8 until 8 March 2026


def _cards(slack, where: str) -> list[str]:
    return [text_of(m) for m in slack.messages(where) if "Hand-off ·" in text_of(m)]


def _saying(slack, where: str, words: str) -> list[str]:
    return [text_of(m) for m in slack.messages(where) if words in text_of(m)]


def _replicas(bot) -> tuple[Scheduler, Scheduler]:
    rt = bot.baton.rt
    return (
        Scheduler(replace(job_context(rt), replica="host-a:1")),
        Scheduler(replace(job_context(rt), replica="host-b:1")),
    )


def _tick(clock, scheduler: Scheduler, at: datetime) -> int:
    clock.advance(seconds=(at - clock.now()).total_seconds())
    return scheduler.tick(clock.now())["absence_expiry"]


def _open_absences(db) -> list[Absence]:
    with db.session() as s:
        return list(s.scalars(select(Absence).where(Absence.ended_at.is_(None))))


def test_an_expired_absence_is_ended_once_and_hands_the_signoff_back(clock, bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])  # Mon 2 March, 09:00 UTC
    bot.reply(f"away until 2026-03-02 delegate <@{SAM}|sam>", user=seeded.domain)
    bot.deliver()
    away_line = f"<@{SAM}> for <@{seeded.domain}> (away)"
    assert all(away_line in card for card in _cards(slack, seeded.channel))
    cards_to_lena = len(_cards(slack, seeded.domain))
    a, b = _replicas(bot)

    # An absence until today is not ended today: it lasts through 2 March.
    assert _tick(clock, a, datetime(2026, 3, 2, 23, 59, tzinfo=UTC)) == 0
    assert len(_open_absences(db)) == 1

    assert _tick(clock, a, datetime(2026, 3, 3, 0, 0, tzinfo=UTC)) == 1
    assert _tick(clock, b, datetime(2026, 3, 3, 0, 1, tzinfo=UTC)) == 0  # claimed by host-a
    assert _tick(clock, b, datetime(2026, 3, 3, 0, 15, tzinfo=UTC)) == 0  # ended already
    bot.deliver()

    assert _open_absences(db) == []
    (welcome,) = _saying(slack, seeded.domain, WELCOME)
    assert "Your absence (until 2026-03-02) has ended" in welcome
    assert "*Churn model* (`churn-model`, manage → develop): Domain expert" in welcome
    assert len(_cards(slack, seeded.domain)) == cards_to_lena + 1  # the card, with its buttons
    (released,) = _saying(slack, SAM, NO_LONGER)
    assert f"<@{seeded.domain}> {NO_LONGER}" in released and "manage → develop" in released
    for card in _cards(slack, seeded.channel) + _cards(slack, SAM):  # every copy, DMs too
        assert f"pending, <@{seeded.domain}>\n" in card + "\n" and away_line not in card

    with db.session() as s:
        (event,) = s.scalars(select(AuditEvent).where(AuditEvent.action == "absence.ended"))
    assert event.actor == SYSTEM_USER
    names = Names({seeded.domain: "Lena"}, {})
    assert sentence(event.action, event.actor, event.detail, None, names) == (
        "Lena's absence ended (until 2026-03-02)"
    )


def test_the_day_ends_in_the_persons_own_time_zone(clock, bot, slack, db, seeded):
    slack.users.update({seeded.domain: "Lena Domain"})
    slack.user_fields[seeded.domain] = {"tz": LOS_ANGELES}
    bot.reply("away until 2026-03-02", user=seeded.domain)
    a, _ = _replicas(bot)

    assert _tick(clock, a, datetime(2026, 3, 3, 0, 0, tzinfo=UTC)) == 0  # 16:00 on 2 March there
    assert _tick(clock, a, datetime(2026, 3, 3, 7, 45, tzinfo=UTC)) == 0  # 23:45 there
    assert len(_open_absences(db)) == 1
    assert _tick(clock, a, datetime(2026, 3, 3, 8, 0, tzinfo=UTC)) == 1  # midnight there
    bot.deliver()
    (welcome,) = _saying(slack, seeded.domain, "Welcome back")
    assert "until 2026-03-02" in welcome and "No sign-off waits on you right now" in welcome


def test_back_welcomes_the_same_way_and_tells_the_stand_in(clock, bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    bot.reply("away until 2026-03-20", user=seeded.domain)  # no delegate: the architect signs
    bot.deliver()
    bot.reply("back", user=seeded.domain)
    bot.deliver()

    (welcome,) = _saying(slack, seeded.domain, WELCOME)
    assert "Your absence (until 2026-03-20) has ended" in welcome
    assert "(`churn-model`, manage → develop): Domain expert" in welcome
    (released,) = _saying(slack, seeded.architect, NO_LONGER)
    assert "manage → develop" in released
    a, _ = _replicas(bot)
    assert _tick(clock, a, datetime(2026, 3, 21, 0, 0, tzinfo=UTC)) == 0  # nothing left to end
    with db.session() as s:
        actions = s.scalars(
            select(AuditEvent.actor).where(AuditEvent.action == "absence.ended")
        ).all()
    assert actions == [seeded.domain]


def test_a_scheduler_down_for_days_still_hands_the_signoff_back(clock, bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    bot.reply(f"away until 2026-03-02 delegate <@{SAM}|sam>", user=seeded.domain)
    a, _ = _replicas(bot)
    assert _tick(clock, a, datetime(2026, 3, 6, 10, 0, tzinfo=UTC)) == 1  # first tick in days
    bot.deliver()
    (welcome,) = _saying(slack, seeded.domain, WELCOME)
    assert "(`churn-model`, manage → develop): Domain expert" in welcome
    assert _saying(slack, SAM, NO_LONGER)


def test_back_with_nothing_pending_says_so_in_the_reply_and_the_welcome(
    clock, bot, slack, db, seeded
):
    bot.reply("away until 2026-03-20", user=seeded.domain)
    said = bot.reply("back", user=seeded.domain)
    assert "0 pending hand-off(s) wait on you again" in (
        text_of(said) if isinstance(said, dict) else str(said)
    )
    bot.deliver()
    (welcome,) = _saying(slack, seeded.domain, "Welcome back")
    assert "No sign-off waits on you right now" in welcome
    assert _saying(slack, seeded.architect, NO_LONGER) == []  # nobody stood in for anything
