"""Outbound webhooks through the outbox: each event once, signed, retried after failures."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from models.enums import OutboxStatus
from models.errors import DomainError
from models.outbox import OutboxMessage
from models.services import webhooks
from tests.slackbot.api_client import Api, make_token
from tests.slackbot.flow import PACKETS
from tests.slackbot.harness import HOME
from tests.webhook_receiver import Receiver, signature_ok


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as r:
        yield r


def _subscribe(db, url: str, events: list[str]) -> str:
    with db.session() as s:
        secret, _ = webhooks.add_subscription(s, HOME, url, events)
    return secret


def _approve_to_develop(bot, db, seeded) -> int:
    """Request manage → develop over the API; both leads click Approve (nothing delivered)."""
    api = Api(bot.url, make_token(db, name="approve"))
    body = {"project": seeded.key, "packet": PACKETS["develop"], "requested_by": seeded.ds}
    handoff = api.post("/api/v1/handoffs", body).json()
    for lead in (seeded.domain, seeded.architect):
        assert bot.click("handoff.approve", str(handoff["id"]), user=lead).status_code == 200
    return handoff["id"]


def test_each_event_arrives_once_signed_with_the_decision(bot, db, seeded, receiver):
    secret = _subscribe(db, receiver.url, ["handoff.decided", "stage.changed"])
    handoff_id = _approve_to_develop(bot, db, seeded)
    bot.deliver()
    got = receiver.accepted()
    assert sorted(d.event["type"] for d in got) == ["handoff.decided", "stage.changed"]
    assert all(signature_ok(secret, d) for d in got)
    assert not signature_ok("whsec_wrong", got[0])
    assert len({d.headers["X-Baton-Delivery-Id"] for d in got}) == 2
    decided = next(d.event for d in got if d.event["type"] == "handoff.decided")
    assert decided["project"] == seeded.key and decided["team_id"] == HOME
    assert decided["data"]["handoff_id"] == handoff_id
    assert decided["data"]["status"] == "approved"
    assert sorted(decided["data"]["approvers"]) == sorted([seeded.domain, seeded.architect])
    stage = next(d.event for d in got if d.event["type"] == "stage.changed")
    assert (stage["data"]["stage_from"], stage["data"]["stage_to"]) == ("manage", "develop")
    assert bot.deliver() == 0 and len(receiver.deliveries) == 2, "nothing is sent twice"


def test_only_the_subscribed_events_are_sent(bot, db, seeded, receiver):
    _subscribe(db, receiver.url, ["stage.changed"])
    _approve_to_develop(bot, db, seeded)
    bot.deliver()
    assert [d.event["type"] for d in receiver.accepted()] == ["stage.changed"]


def test_a_delivery_that_failed_twice_arrives_once_with_the_same_id(
    clock, bot, db, seeded, receiver
):
    secret = _subscribe(db, receiver.url, ["handoff.decided"])
    receiver.fail_next(2, status=503)
    _approve_to_develop(bot, db, seeded)
    bot.deliver()
    for _ in range(5):
        clock.advance(minutes=1)
        bot.deliver()
    assert [d.status for d in receiver.deliveries] == [503, 503, 204]
    assert len({d.headers["X-Baton-Delivery-Id"] for d in receiver.deliveries}) == 1
    (arrived,) = receiver.accepted()
    assert signature_ok(secret, arrived, now=clock.now().timestamp())
    with db.session() as s:
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.sink == "webhook")).one()
        assert (row.status, row.attempts) == (OutboxStatus.SENT, 3)


def test_a_4xx_gives_up_with_the_reason(bot, db, seeded, receiver):
    _subscribe(db, receiver.url, ["handoff.decided"])
    receiver.fail_next(1, status=410)
    _approve_to_develop(bot, db, seeded)
    bot.deliver()
    with db.session() as s:
        row = s.scalars(select(OutboxMessage).where(OutboxMessage.sink == "webhook")).one()
        assert (row.status, row.last_error) == (OutboxStatus.FAILED, "http_410")
    assert len(receiver.deliveries) == 1


def test_a_removed_webhook_gets_nothing_more_not_even_what_was_queued(bot, db, seeded, receiver):
    _subscribe(db, receiver.url, ["handoff.decided", "stage.changed"])
    _approve_to_develop(bot, db, seeded)  # two events queued, not yet delivered
    api = Api(bot.url, make_token(db, name="ci2"))
    with db.session() as s:
        webhooks.remove_subscription(s, HOME, webhooks.list_subscriptions(s, HOME)[0].id)
    body = {"project": seeded.key, "packet": PACKETS["deploy"], "requested_by": seeded.ds}
    handoff = api.post("/api/v1/handoffs", body).json()
    api.post(f"/api/v1/handoffs/{handoff['id']}/cancel", {"cancelled_by": seeded.ds})
    bot.deliver()
    assert receiver.deliveries == []
    with db.session() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.sink == "webhook")).all()
        assert [(r.status, "was removed" in (r.last_error or "")) for r in rows] == [
            (OutboxStatus.FAILED, True)
        ] * 2


def test_cancelling_sends_handoff_cancelled(bot, db, seeded, receiver):
    _subscribe(db, receiver.url, ["handoff.cancelled"])
    api = Api(bot.url, make_token(db))
    body = {"project": seeded.key, "packet": PACKETS["develop"], "requested_by": seeded.ds}
    handoff = api.post("/api/v1/handoffs", body).json()
    api.post(f"/api/v1/handoffs/{handoff['id']}/cancel", {"cancelled_by": seeded.ds})
    bot.deliver()
    (got,) = receiver.accepted()
    assert got.event["type"] == "handoff.cancelled"
    assert got.event["data"]["decided_by"] == seeded.ds


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("ftp://example.com/hook", "http:// or https://"),
        ("https://user:pw@example.com/hook", "credentials"),
        ("https:///nohost", "with a host"),
        ("https://example.com:99999/", "not a valid URL"),
        ("https://example.com/a b", "one line"),
    ],
)
def test_bad_urls_are_refused_and_change_nothing(db, url, why):
    before = db.dump()
    with pytest.raises(DomainError, match=why), db.session() as s:
        webhooks.add_subscription(s, HOME, url, ["stage.changed"])
    assert db.dump() == before


def test_unknown_events_are_refused(db):
    with pytest.raises(DomainError, match=r"Choose from: handoff\.decided"), db.session() as s:
        webhooks.add_subscription(s, HOME, "https://ci.example.com/hook", ["deployed"])


def test_another_workspaces_webhook_hears_nothing(bot, db, seeded, receiver):
    with db.session() as s:
        webhooks.add_subscription(s, "TOTHER", receiver.url, list(webhooks.EVENTS))
    _approve_to_develop(bot, db, seeded)
    bot.deliver()
    assert receiver.deliveries == []
