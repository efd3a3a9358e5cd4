"""Reminders people act on, through the real scheduler and clock: they arrive inside the lead's
working hours in the lead's own time zone, carry Snooze and the sign-off buttons, and a snooze
delays the next one, is audited, and is named by the escalation."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from bot.scheduler import Scheduler, job_context
from models import AuditEvent, Handoff
from models.handoff import SignoffSnooze
from models.people import SlackUser
from models.sentences import Names, sentence
from tests.slackbot.flow import (
    PACKETS,
    buttons,
    prefilled,
    request_handoff,
    text_of,
    wait_for_modal,
)

DENVER = "America/Denver"  # UTC-7 in early March


def _reminders(slack, user: str) -> list[dict]:
    return [m for m in slack.messages(user) if "overdue" in text_of(m)]


def _tick(bot, scheduler: Scheduler, clock, minutes: int = 1) -> None:
    for _ in range(minutes):
        scheduler.tick(clock.now())
        clock.advance(minutes=1)
    bot.deliver()


def _setup(clock, bot, slack, db, seeded) -> tuple[int, Scheduler]:
    slack.users.update({seeded.domain: "Dana Domain", seeded.architect: "Ari Architect"})
    slack.user_fields[seeded.domain] = {"tz": DENVER}
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])  # Mon 09:00 UTC, SLA 48 h
    with db.session() as s:
        handoff_id = s.scalars(select(Handoff.id)).one()
    return handoff_id, Scheduler(job_context(bot.baton.rt), bot.baton.deliverer.kick)


def test_a_reminder_due_at_two_at_night_for_the_lead_goes_out_at_nine(
    clock, bot, slack, db, seeded
):
    _, scheduler = _setup(clock, bot, slack, db, seeded)
    clock.advance(hours=48, minutes=1)  # Wed 09:01 UTC: 02:01 in Denver
    _tick(bot, scheduler, clock, 3)
    assert _reminders(slack, seeded.domain) == []  # asleep
    assert len(_reminders(slack, seeded.architect)) == 1  # UTC (the workspace zone): at work
    with db.session() as s:
        zone = s.scalars(select(SlackUser.tz).where(SlackUser.user_id == seeded.domain)).one()
    assert zone == DENVER  # looked up once, cached beside the name

    clock.advance(seconds=(datetime(2026, 3, 4, 15, 58, tzinfo=UTC) - clock.now()).seconds)
    _tick(bot, scheduler, clock, 2)
    assert _reminders(slack, seeded.domain) == []
    _tick(bot, scheduler, clock, 2)  # 09:00 in Denver
    (reminder,) = _reminders(slack, seeded.domain)
    assert buttons(reminder) == [
        "Approve",
        "Request changes",
        "Reject",
        "Snooze 1 h",
        "Snooze 4 h",
        "Until tomorrow 09:00",
    ]


def test_snooze_delays_the_next_reminder_is_audited_and_named_by_the_escalation(
    clock, bot, slack, db, seeded
):
    handoff_id, scheduler = _setup(clock, bot, slack, db, seeded)
    slack.user_fields[seeded.domain] = {"tz": "UTC"}
    clock.advance(hours=49)  # Wed 10:00 UTC
    _tick(bot, scheduler, clock)
    (first,) = _reminders(slack, seeded.domain)

    opened = len(slack.calls_to("views.open"))
    click = bot.click("signoff.snooze_1h", str(handoff_id), user=seeded.domain, message=first)
    assert click.status_code == 200
    form = wait_for_modal(bot, opened)
    assert form["callback_id"] == "signoff.snooze_submit"
    assert prefilled(form) == {"choice": "1h", "reason": None}  # the button clicked, chosen
    assert _reminders(slack, seeded.domain) == [first]  # nothing snoozed before the submit
    with db.session() as s:
        assert s.scalars(select(SignoffSnooze)).all() == []

    answer = bot.submit(
        form, {"choice": "1h", "reason": "In the <model> review"}, user=seeded.domain
    )
    assert (answer.status_code, answer.text) == (200, "")  # the modal closes
    bot.deliver()
    with db.session() as s:
        event = s.scalars(select(AuditEvent).where(AuditEvent.action == "signoff.snoozed")).one()
        row = s.scalars(select(SignoffSnooze)).one()
    assert (row.user_id, row.reason) == (seeded.domain, "In the <model> review")
    assert sentence(
        event.action, event.actor, event.detail, seeded.key, Names({}, {handoff_id: "m → d"})
    ) == (
        f"{seeded.domain} snoozed the reminders of m → d (round 1) until 2026-03-04 11:01 UTC: "
        "“In the <model> review”"
    )
    # The reminder it came from now says until when, in the reader's zone, and why (escaped).
    (edited,) = [m for m in slack.messages(seeded.domain) if m["ts"] == first["ts"]]
    said = text_of(edited)
    assert ":zzz: Snoozed until <!date^" in said and "|2026-03-04 11:01 UTC> (your time)" in said
    assert ": In the &lt;model&gt; review" in said
    assert buttons(edited) == ["Approve", "Request changes", "Reject"]  # Snooze went

    # (The first reminder reads "Snoozed until" now, so only new ones say "overdue".)
    _tick(bot, scheduler, clock, 30)
    assert len(_reminders(slack, seeded.domain)) == 0  # snoozed: nothing more
    _tick(bot, scheduler, clock, 35)
    assert len(_reminders(slack, seeded.domain)) == 1  # the snooze ended: one more
    _tick(bot, scheduler, clock, 5)
    assert len(_reminders(slack, seeded.domain)) == 1  # and only one

    clock.advance(hours=48)  # past twice the SLA
    _tick(bot, scheduler, clock)
    (escalation,) = [
        text_of(m)
        for m in slack.messages(seeded.channel)
        if "twice its sign-off time on *Domain expert" in text_of(m)
    ]
    assert f"Reminders were snoozed: <@{seeded.domain}> until" in escalation
    assert "(“In the &lt;model&gt; review”)" in escalation


def test_someone_the_handoff_does_not_wait_on_cannot_snooze(clock, bot, slack, db, seeded):
    handoff_id, _ = _setup(clock, bot, slack, db, seeded)
    opened = len(slack.calls_to("views.open"))
    assert bot.click("signoff.snooze_4h", str(handoff_id), user=seeded.intern).status_code == 200
    form = wait_for_modal(bot, opened)
    answer = bot.submit(form, {"choice": "4h", "reason": "busy"}, user=seeded.intern).json()
    assert answer["response_action"] == "errors"
    assert "Only someone this hand-off waits on can snooze" in answer["errors"]["choice"]
    with db.session() as s:
        assert s.scalars(select(SignoffSnooze)).all() == []
        assert s.scalars(
            select(AuditEvent.action).where(AuditEvent.actor == seeded.intern)
        ).all() == ["refused.signoff.snooze"]


def test_a_snooze_until_tomorrow_can_be_chosen_in_the_modal(clock, bot, slack, db, seeded):
    handoff_id, _ = _setup(clock, bot, slack, db, seeded)
    opened = len(slack.calls_to("views.open"))
    bot.click("signoff.snooze_1h", str(handoff_id), user=seeded.domain)
    form = wait_for_modal(bot, opened)
    bot.submit(form, {"choice": "tomorrow"}, user=seeded.domain)
    with db.session() as s:
        row = s.scalars(select(SignoffSnooze)).one()
    # No reminder has looked up the lead's zone yet: tomorrow 09:00 in the workspace's (UTC).
    assert (row.until.replace(tzinfo=UTC), row.reason) == (
        datetime(2026, 3, 3, 9, 0, tzinfo=UTC),
        None,
    )
