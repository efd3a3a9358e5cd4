"""Overdue sign-offs as people see them: a reminder DM they can act on, then an escalation in
the project channel naming the ML architect lead, each once, through the real scheduler."""

from __future__ import annotations

from sqlalchemy import select

from bot.scheduler import Scheduler, job_context
from models import Handoff
from tests.slackbot.flow import PACKETS, buttons, request_handoff, text_of


def test_a_late_lead_is_reminded_once_then_the_channel_hears_of_it(clock, bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    with db.session() as s:
        handoff_id = s.scalars(select(Handoff.id)).one()
    scheduler = Scheduler(job_context(bot.baton.rt), bot.baton.deliverer.kick)
    dms_before = len(slack.messages(seeded.domain))

    clock.advance(hours=49)  # the manage → develop SLA is 48 h
    for _ in range(3):
        scheduler.tick(clock.now())
        clock.advance(minutes=1)
    bot.deliver()

    reminders = slack.messages(seeded.domain)[dms_before:]
    assert len(reminders) == 1
    assert "overdue" in text_of(reminders[0]) and "Approve" in buttons(reminders[0])
    response = bot.click(
        "handoff.approve", str(handoff_id), user=seeded.domain, message=reminders[0]
    )
    assert response.status_code == 200
    bot.deliver()

    clock.advance(hours=48)  # now past twice the SLA
    for _ in range(3):
        scheduler.tick(clock.now())
        clock.advance(minutes=1)
    bot.deliver()

    escalations = [
        m for m in slack.messages(seeded.channel) if "twice its sign-off time" in text_of(m)
    ]
    assert len(escalations) == 1, "only the undecided role escalates, and only once"
    said = text_of(escalations[0])
    assert "*ML architect*" in said and f"<@{seeded.architect}>, as ML architect lead" in said
    assert "Domain expert" not in said.split("\n")[0]
