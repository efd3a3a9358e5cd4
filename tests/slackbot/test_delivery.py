"""The outbox deliverer against a misbehaving Slack: rate limits, outages, permanent errors."""

from __future__ import annotations

import threading
import time
from datetime import timedelta

import pytest
from slack_sdk import WebClient
from sqlalchemy import select

from bot.delivery import LEASE, Deliverer
from models.enums import OutboxStatus
from models.notifications import ProjectAdvanced
from models.outbox import OutboxMessage
from models.project import Project
from models.services import outbox
from tests.slackbot.flow import (
    PACKETS,
    approve_all,
    card_messages,
    deliver_all,
    request_handoff,
    text_of,
)


def _queue(db, channel: str, numbers: range) -> None:
    """Queue numbered channel messages; the seed's own messages are already queued before."""
    with db.session() as s:
        project = s.scalars(select(Project)).first()
        for n in numbers:
            step = ProjectAdvanced(project_id=project.id, stage_from="manage", stage_to=f"step-{n}")
            outbox.to_channel(s, project.team_id, channel, step)


def _steps(slack, channel: str) -> list[str]:
    return [
        text_of(m).split("*")[-2] for m in slack.messages(channel) if "moved from" in text_of(m)
    ]


def _statuses(db) -> list[str]:
    with db.session() as s:
        rows = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return [m.status.value for m in rows]


def _rows(db) -> list[tuple]:
    with db.session() as s:
        return [
            (m.id, m.topic, m.channel_id, m.user_id, m.status.value, m.last_error)
            for m in s.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        ]


def test_429_holds_that_channel_only_then_everything_arrives_once_in_order(
    clock, bot, slack, db, seeded
):
    bot.deliver()  # the seed's role DMs go first
    slack.reset()
    _queue(db, "CA", range(1, 6))
    _queue(db, "CB", range(1, 4))
    slack.rate_limit_next("chat.postMessage", retry_after=30)
    bot.deliver()
    assert _steps(slack, "CA") == []
    assert _steps(slack, "CB") == ["step-1", "step-2", "step-3"]
    clock.advance(seconds=29)
    bot.deliver()
    assert _steps(slack, "CA") == [], "Retry-After is honoured"
    clock.advance(seconds=2)
    bot.deliver()
    assert _steps(slack, "CA") == [f"step-{n}" for n in range(1, 6)]
    assert set(_statuses(db)) == {"sent"}, _rows(db)


def test_server_errors_back_off_then_deliver_once(clock, bot, slack, db, seeded):
    bot.deliver()  # the seed's role DMs go first
    slack.reset()
    _queue(db, "CA", range(1, 4))
    slack.fail_next("chat.postMessage", status=500, times=3)
    bot.deliver()
    with db.session() as s:
        first = s.scalars(
            select(OutboxMessage).where(OutboxMessage.channel_id == "CA").order_by(OutboxMessage.id)
        ).first()
        assert (first.status, first.last_error, first.attempts) == (
            OutboxStatus.PENDING,
            "fatal_error",
            1,
        )
    for _ in range(6):
        clock.advance(minutes=20)
        bot.deliver()
    assert _steps(slack, "CA") == ["step-1", "step-2", "step-3"]
    assert set(_statuses(db)) == {"sent"}


def test_permanent_error_gives_up_with_the_reason(clock, bot, slack, db, seeded):
    bot.deliver()  # the seed's role DMs go first
    slack.reset()
    _queue(db, "CGONE", range(1, 2))
    slack.error_next("chat.postMessage", "channel_not_found")
    bot.deliver()
    clock.advance(hours=1)
    assert bot.deliver() == 0
    with db.session() as s:
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.channel_id == "CGONE")).one()
    assert (row.status, row.last_error) == (OutboxStatus.FAILED, "channel_not_found")


def test_not_in_channel_joins_once_then_posts(bot, slack, db, seeded):
    bot.deliver()  # the seed's role DMs go first
    slack.reset()
    _queue(db, "CPUBLIC", range(1, 2))
    slack.error_next("chat.postMessage", "not_in_channel")
    bot.deliver()
    assert [c.params["channel"] for c in slack.calls_to("conversations.join")] == ["CPUBLIC"]
    assert _steps(slack, "CPUBLIC") == ["step-1"]


def test_rows_committed_before_a_crash_are_delivered_on_restart(bot, slack, db, seeded):
    bot.deliver()  # the seed's role DMs go first
    slack.reset()
    _queue(db, "CA", range(1, 3))  # committed; the process "dies" before delivering
    restarted = Deliverer(bot.baton.rt)
    assert restarted.deliver_due() == 2
    assert _steps(slack, "CA") == ["step-1", "step-2"]


def test_a_row_left_sending_by_a_crashed_process_is_retried_after_its_lease(
    clock, bot, slack, db, seeded
):
    bot.deliver()  # the seed's role DMs go first
    slack.reset()
    _queue(db, "CA", range(1, 2))
    with db.session() as s:
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.channel_id == "CA")).one()
        row.status, row.next_attempt_at = OutboxStatus.SENDING, clock.now() + LEASE
        row.lease_holder = "gone-host:4242:dead"
    assert bot.deliver() == 0
    clock.advance(seconds=LEASE.total_seconds() + 1)
    assert bot.deliver() == 1
    assert _steps(slack, "CA") == ["step-1"]
    assert not slack.calls_to("conversations.history"), "it never started a post: none to find"


def test_card_updates_wait_for_the_original_post(clock, bot, slack, db, seeded):
    bot.deliver()  # the seed's role DMs go first
    slack.reset()
    bot.reply("handoff churn-model", user=seeded.ds)
    slack.wait_for(lambda: slack.calls_to("views.open"))
    slack.fail_next("chat.postMessage", status=503, times=1)  # the channel card fails first
    bot.submit(slack.calls_to("views.open")[-1].params["view"], PACKETS["develop"], user=seeded.ds)
    approve_all(bot, _handoff_id(db), [seeded.domain])  # queues an update, delivers a pass
    assert not [c for c in slack.calls_to("chat.update") if c.response and not c.response.get("ok")]
    for _ in range(3):
        clock.advance(minutes=5)
        bot.deliver()
    cards = card_messages(bot)
    assert len(cards) == 3
    assert all(f"approved by <@{seeded.domain}>" in text_of(c) for c in cards)
    assert set(_statuses(db)) == {"sent"}


def test_two_deliverers_racing_send_each_message_once(bot, slack, db, seeded):
    bot.deliver()  # the seed's role DMs go first
    slack.reset()
    _queue(db, "CA", range(1, 41))
    deliverers = [Deliverer(bot.baton.rt), Deliverer(bot.baton.rt)]
    barrier = threading.Barrier(2)

    def drain(d: Deliverer) -> None:
        barrier.wait()
        while d.deliver_due():
            pass

    threads = [threading.Thread(target=drain, args=(d,)) for d in deliverers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(_steps(slack, "CA"), key=lambda x: int(x.split("-")[1])) == [
        f"step-{n}" for n in range(1, 41)
    ]
    assert len(slack.calls_to("chat.postMessage")) == 40


def _handoff_id(db) -> int:
    from models.handoff import Handoff

    with db.session() as s:
        return s.scalars(select(Handoff.id)).one()


def test_a_commit_that_queues_messages_wakes_the_deliverer(bot, slack, db, seeded):
    bot.deliver()
    bot.baton.deliverer.start(poll_seconds=60)  # no poll could deliver within the wait below
    try:
        bot.reply("role assign churn-model analyst <@UNEWBIE>", user=seeded.creator)
        dm = slack.wait_for(lambda: slack.messages("UNEWBIE"), timeout=5)
    finally:
        bot.baton.deliverer.stop()
    assert "Data analyst" in text_of(dm[-1])


def test_429_then_server_errors_then_success_delivers_each_message_once_in_order(
    clock, bot, slack, db, seeded
):
    bot.deliver()  # the seed's role DMs go first
    slack.reset()
    _queue(db, "CA", range(1, 5))
    _queue(db, "CB", range(1, 3))
    slack.rate_limit_next("chat.postMessage", retry_after=20)
    slack.fail_next("chat.postMessage", status=502, times=4)
    for _ in range(12):
        bot.deliver()
        clock.advance(minutes=2)
    assert _steps(slack, "CA") == [f"step-{n}" for n in range(1, 5)]
    assert _steps(slack, "CB") == ["step-1", "step-2"]
    accepted = [c for c in slack.calls_to("chat.postMessage") if c.response.get("ok")]
    assert len(accepted) == 6, "each message posted exactly once"
    assert set(_statuses(db)) == {"sent"}


def test_a_long_outage_keeps_messages_queued_until_slack_is_back(clock, bot, slack, db, seeded):
    bot.deliver()  # the seed's role DMs go first
    slack.reset()
    _queue(db, "CA", range(1, 2))
    slack.fail_next("chat.postMessage", status=503, times=40)  # hours of a down Slack
    for _ in range(40):
        bot.deliver()
        clock.advance(minutes=16)  # past the longest backoff (10 min, jitter up to 1.5x)
    assert _steps(slack, "CA") == []
    with db.session() as s:
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.channel_id == "CA")).one()
        assert (row.status, row.attempts) == (OutboxStatus.PENDING, 40)
    clock.advance(minutes=16)
    bot.deliver()
    assert _steps(slack, "CA") == ["step-1"]


def test_updates_queued_before_delivery_coalesce_into_one_edit_per_copy(
    clock, bot, slack, db, seeded
):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    bot.deliver()
    assert len(card_messages(bot)) == 3  # the channel's card and one DM per required lead
    edits_before = len(slack.calls_to("chat.update"))
    handoff_id = _handoff_id(db)
    for lead in (seeded.domain, seeded.architect):  # two decisions, nothing delivered between
        assert bot.click("handoff.approve", str(handoff_id), user=lead).status_code == 200
    bot.deliver()
    updates = slack.calls_to("chat.update")[edits_before:]
    assert len(updates) == 3, [c.params["channel"] for c in updates]
    assert all(c.response["ok"] for c in updates)
    cards = card_messages(bot)
    assert all(f"approved by <@{seeded.architect}>" in text_of(c) for c in cards)
    deliver_all(bot, clock)  # the Homes' trailing publishes, past their throttle
    assert set(_statuses(db)) == {"sent"}


# -- a post whose outcome is unknown (a crash, a timeout) is looked for before it is re-sent ------
def _row_to(db, target: str) -> OutboxMessage:
    with db.session() as s:
        column = OutboxMessage.user_id if target.startswith("U") else OutboxMessage.channel_id
        return s.scalars(select(OutboxMessage).where(column == target)).one()


def _queue_dm(db, user: str) -> None:
    with db.session() as s:
        project = s.scalars(select(Project)).first()
        step = ProjectAdvanced(project_id=project.id, stage_from="manage", stage_to="step-1")
        outbox.to_user(s, project.team_id, user, step)


def test_every_post_carries_its_outbox_id_as_message_metadata(bot, slack, db, seeded):
    bot.deliver()
    slack.reset()
    _queue(db, "CA", range(1, 2))
    bot.deliver()
    row = _row_to(db, "CA")
    [call] = slack.calls_to("chat.postMessage")
    assert call.params["metadata"] == {
        "event_type": "baton_outbox",
        "event_payload": {"outbox_id": row.id},
    }


@pytest.mark.parametrize("target", ["CA", "UNEWBIE"])
def test_a_post_whose_answer_never_came_is_found_in_slack_not_posted_twice(
    clock, bot, slack, db, seeded, target
):
    bot.deliver()
    slack.reset()
    _queue(db, target, range(1, 2)) if target.startswith("C") else _queue_dm(db, target)
    impatient = WebClient(token=slack.token, base_url=slack.base_url, timeout=1)
    deliverer = Deliverer(bot.baton.rt, client=impatient)
    release = slack.hold("chat.postMessage")  # Slack posts it; the answer does not come back
    deliverer.deliver_due()
    release.set()
    row = _row_to(db, target)
    assert (row.status, row.last_error) == (OutboxStatus.PENDING, "network: TimeoutError")
    assert row.attempt_started_at is not None
    clock.advance(minutes=1)
    deliverer.deliver_due()
    row = _row_to(db, target)
    assert (row.status, row.attempt_started_at) == (OutboxStatus.SENT, None)
    assert len(slack.calls_to("chat.postMessage")) == 1, "looked for it, found it, not re-posted"
    assert len(slack.messages(target)) == 1
    [looked] = slack.calls_to("conversations.history")
    assert looked.params["channel"] == slack.dm_channel(target) if target[0] == "U" else "CA"


def test_a_rate_limited_look_keeps_looking_next_time(clock, bot, slack, db, seeded):
    bot.deliver()
    slack.reset()
    _queue(db, "CA", range(1, 2))
    impatient = WebClient(token=slack.token, base_url=slack.base_url, timeout=1)
    deliverer = Deliverer(bot.baton.rt, client=impatient)
    release = slack.hold("chat.postMessage")
    deliverer.deliver_due()  # posted; the answer never came
    release.set()
    slack.rate_limit_next("conversations.history", retry_after=5)
    clock.advance(minutes=1)
    deliverer.deliver_due()
    row = _row_to(db, "CA")
    assert (row.status, row.last_error) == (OutboxStatus.PENDING, "rate_limited (5s)")
    assert row.attempt_started_at is not None, "still unknown whether the post landed"
    clock.advance(seconds=6)
    deliverer.deliver_due()
    assert _row_to(db, "CA").status == OutboxStatus.SENT
    assert len(slack.calls_to("chat.postMessage")) == 1
    assert len(slack.calls_to("conversations.history")) == 2


def test_a_reclaimed_post_that_never_reached_slack_is_posted_once(clock, bot, slack, db, seeded):
    bot.deliver()
    slack.reset()
    _queue(db, "CA", range(1, 2))
    with db.session() as s:
        row = s.get(OutboxMessage, _row_to(db, "CA").id)
        row.status, row.lease_holder = OutboxStatus.SENDING, "gone-host:4242:dead"
        row.next_attempt_at = row.attempt_started_at = clock.now()  # died before Slack saw it
    clock.advance(seconds=1)
    assert bot.deliver() == 1
    assert len(slack.calls_to("conversations.history")) == 1
    assert _steps(slack, "CA") == ["step-1"]
    assert _row_to(db, "CA").status == OutboxStatus.SENT


def test_a_found_card_keeps_its_ts_for_later_updates(clock, bot, slack, db, seeded):
    bot.deliver()
    slack.reset()
    impatient = WebClient(token=slack.token, base_url=slack.base_url, timeout=1)
    bot.baton.deliverer.client = impatient
    release = slack.hold("chat.postMessage")
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])  # every card times out
    release.set()
    with db.session() as s:
        for row in s.scalars(select(OutboxMessage).where(OutboxMessage.status != "sent")):
            row.next_attempt_at = row.next_attempt_at - timedelta(minutes=5)
    bot.deliver()
    posts = len(slack.calls_to("chat.postMessage"))
    approve_all(bot, _handoff_id(db), [seeded.domain])
    assert len(slack.calls_to("chat.postMessage")) == posts, "no card posted a second time"
    cards = card_messages(bot)
    assert len(cards) == 3
    assert all(f"approved by <@{seeded.domain}>" in text_of(c) for c in cards), "updated in place"
    deliver_all(bot, clock)  # the Homes' trailing publishes, past their throttle
    assert set(_statuses(db)) == {"sent"}


def test_a_working_deliverer_renews_its_lease_until_it_is_done(bot, slack, db, seeded):
    bot.deliver()
    slack.reset()
    _queue(db, "CA", range(1, 2))
    release = slack.hold("chat.postMessage")
    worker = threading.Thread(target=bot.baton.deliverer.deliver_due)
    worker.start()
    slack.wait_for(lambda: slack.calls_to("chat.postMessage"))
    first = _row_to(db, "CA").next_attempt_at
    renewed = _until(lambda: _row_to(db, "CA").next_attempt_at > first, seconds=10)
    release.set()
    worker.join(timeout=10)
    assert renewed, "the heartbeat moved the lease on while the post was in flight"
    row = _row_to(db, "CA")
    assert (row.status, row.lease_holder) == (OutboxStatus.SENT, bot.baton.deliverer.holder)
    rival = Deliverer(bot.baton.rt)
    assert rival.holder != bot.baton.deliverer.holder


def _until(condition, seconds: float) -> bool:
    """Poll a database condition with a bound (the heartbeat runs on its own clock)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False
