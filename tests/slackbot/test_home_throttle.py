"""App Home is published at most once per person per HOME_PUBLISH_SECONDS: the first refresh at
once, the last of a burst when the wait is over, showing the state by then; a deferred Home
refresh holds back none of that person's DMs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from bot.renderers import HOME_PUBLISH_SECONDS
from models.enums import OutboxStatus
from models.handoff import Handoff
from models.notifications import HomeRefresh, ProjectAdvanced
from models.outbox import OutboxMessage
from models.project import Project
from models.services import outbox
from tests.slackbot.flow import PACKETS, deliver_all, request_handoff, text_of
from tests.slackbot.harness import HOME


def _publishes(slack, user: str) -> int:
    return sum(1 for c in slack.calls_to("views.publish") if c.params["user_id"] == user)


def _home_rows(db, user: str) -> list[OutboxMessage]:
    with db.session() as s:
        query = (
            select(OutboxMessage)
            .where(OutboxMessage.topic == HomeRefresh.topic, OutboxMessage.user_id == user)
            .order_by(OutboxMessage.id)
        )
        return list(s.scalars(query))


def _handoff_id(db) -> int:
    with db.session() as s:
        return s.scalars(select(Handoff.id)).one()


def _settled(bot, clock) -> None:
    """Everything delivered, and every Home's last publish older than the throttle."""
    deliver_all(bot, clock)
    clock.advance(seconds=HOME_PUBLISH_SECONDS)


def test_two_refreshes_a_second_apart_publish_at_once_and_then_the_final_state(
    clock, bot, slack, db, seeded
):
    _settled(bot, clock)
    before = _publishes(slack, seeded.domain)
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])  # refreshes the leads
    assert _publishes(slack, seeded.domain) == before + 1  # the leading edge: at once
    assert "Waiting on your sign-off (1)" in text_of(slack.home(seeded.domain))
    published_at = clock.now()

    clock.advance(seconds=1)
    assert bot.click("handoff.approve", str(_handoff_id(db)), user=seeded.domain).status_code
    bot.deliver()
    assert _publishes(slack, seeded.domain) == before + 1  # deferred, not published
    deferred = _home_rows(db, seeded.domain)[-1]
    assert deferred.status == OutboxStatus.PENDING
    due = deferred.next_attempt_at.replace(tzinfo=published_at.tzinfo)
    assert due == published_at + timedelta(seconds=HOME_PUBLISH_SECONDS)

    clock.advance(seconds=HOME_PUBLISH_SECONDS - 1 - 0.1)  # not yet
    bot.deliver()
    assert _publishes(slack, seeded.domain) == before + 1
    clock.advance(seconds=0.1)
    bot.deliver()
    assert _publishes(slack, seeded.domain) == before + 2  # the trailing publish
    assert "Waiting on your sign-off (0)" in text_of(slack.home(seeded.domain))
    assert {r.status for r in _home_rows(db, seeded.domain)} == {OutboxStatus.SENT}


def test_a_burst_of_refreshes_ends_in_one_publish_of_the_last_state(clock, bot, slack, db, seeded):
    _settled(bot, clock)
    before = _publishes(slack, seeded.architect)
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    assert _publishes(slack, seeded.architect) == before + 1
    handoff_id = _handoff_id(db)
    clock.advance(seconds=0.5)
    bot.click("handoff.approve", str(handoff_id), user=seeded.domain)  # the architect's too
    bot.deliver()
    clock.advance(seconds=0.5)
    bot.click("handoff.approve", str(handoff_id), user=seeded.architect)  # and again
    bot.deliver()
    assert _publishes(slack, seeded.architect) == before + 1
    # Only the last waits: the one it follows is moot at once, not claimed again later.
    waiting = [r.status for r in _home_rows(db, seeded.architect)[-2:]]
    assert waiting == [OutboxStatus.SENT, OutboxStatus.PENDING]
    clock.advance(seconds=HOME_PUBLISH_SECONDS)
    bot.deliver()
    # One trailing publish for the two deferred refreshes, showing the hand-off approved.
    assert _publishes(slack, seeded.architect) == before + 2
    said = text_of(slack.home(seeded.architect))
    assert "Waiting on your sign-off (0)" in said and "develop" in said
    rows = _home_rows(db, seeded.architect)
    assert {r.status for r in rows} == {OutboxStatus.SENT}  # nothing left behind
    # The earlier one was made moot by the later: sent without a call, so no sent_at, and it
    # does not count as a publish for the next refresh's wait.
    assert [r.sent_at is None for r in rows[-2:]] == [True, False]


def test_a_dm_queued_after_a_deferred_home_refresh_is_delivered_at_once(
    clock, bot, slack, db, seeded
):
    _settled(bot, clock)
    with db.session() as s:
        outbox.refresh_home(s, HOME, seeded.domain)
    bot.deliver()
    clock.advance(seconds=1)
    with db.session() as s:
        outbox.refresh_home(s, HOME, seeded.domain)
    bot.deliver()
    assert _home_rows(db, seeded.domain)[-1].status == OutboxStatus.PENDING  # deferred
    with db.session() as s:
        project = s.scalars(select(Project)).one()
        step = ProjectAdvanced(project_id=project.id, stage_from="manage", stage_to="develop")
        dm = outbox.to_user(s, HOME, seeded.domain, step)
        s.flush()
        dm_id = dm.id
    bot.deliver()
    with db.session() as s:
        assert s.get(OutboxMessage, dm_id).status == OutboxStatus.SENT  # not held back
    posted = [c for c in slack.calls_to("chat.postMessage") if c.params["channel"] == seeded.domain]
    assert posted and "develop" in str(posted[-1].params)
    assert _home_rows(db, seeded.domain)[-1].status == OutboxStatus.PENDING  # still waiting
    clock.advance(seconds=1)
    bot.deliver()
    assert _home_rows(db, seeded.domain)[-1].status == OutboxStatus.SENT
