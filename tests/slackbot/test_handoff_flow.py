"""The hand-off lifecycle as people live it in Slack: form, cards, buttons, DMs, stage changes."""

from __future__ import annotations

from sqlalchemy import event, func, select

from bot.db import READ_ONLY
from models.enums import HandoffStatus, Stage
from models.handoff import Handoff, SignOff
from models.policy import DEFAULT_POLICY
from models.project import Project
from tests.slackbot.conftest import LEADS
from tests.slackbot.flow import (
    PACKETS,
    approve_all,
    buttons,
    card_messages,
    click_for_modal,
    open_form,
    prefilled,
    request_handoff,
    text_of,
)


def _stage(db, key="churn-model") -> Stage:
    with db.session() as s:
        return s.scalars(select(Project.stage).where(Project.key == key)).one()


def _open_handoff(db) -> Handoff:
    with db.session() as s:
        return s.scalars(select(Handoff).order_by(Handoff.id.desc())).first()


def test_form_has_one_input_per_policy_field_with_labels(bot, slack, seeded):
    modal = open_form(bot, seeded.ds, seeded.key)
    inputs = {b["block_id"]: b["label"]["text"] for b in modal["blocks"] if b["type"] == "input"}
    assert inputs == {
        "objective": "Objective",
        "success_metric": "Success metric",
        "data_sources": "Data sources",
        "target_date": "Target date",
    }
    assert slack.calls_to("views.open")[-1].params["trigger_id"].startswith("trig-")


def test_whole_lifecycle_through_slack(bot, slack, db, seeded):
    stages = [
        ("develop", [seeded.domain, seeded.architect]),
        # ds requested develop → deploy: the ML architect lead signs for the data scientist
        ("deploy", [seeded.architect, seeded.domain]),
        ("monitor", [seeded.swe, seeded.devops, seeded.architect]),
        ("develop-again", [seeded.ds]),
    ]
    for packet_name, approvers in stages:
        assert request_handoff(bot, seeded.ds, seeded.key, PACKETS[packet_name]).status_code == 200
        handoff = _open_handoff(db)
        assert handoff.status == HandoffStatus.PENDING
        approve_all(bot, handoff.id, approvers)
        assert _stage(db) == Stage(packet_name.removesuffix("-again"))
    moves = [m for m in slack.messages(seeded.channel) if "moved from" in text_of(m)]
    assert [text_of(m).split("*")[-2] for m in moves] == ["develop", "deploy", "monitor", "develop"]


def test_card_goes_to_channel_and_each_required_lead(bot, slack, db, seeded):
    transition = DEFAULT_POLICY.transition(Stage.MANAGE, Stage.DEVELOP)
    assert transition is not None
    roles = [*transition.signoff, *(r for r in transition.signoff_if_assigned if r in LEADS)]
    required = {getattr(seeded, LEADS[role]) for role in roles}
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    channel_card = slack.last_message(seeded.channel)
    assert buttons(channel_card) == ["Approve", "Request changes", "Reject"]
    assert "Predict churn 30 days ahead" in text_of(channel_card)
    everyone = {getattr(seeded, person) for person in LEADS.values()} | {seeded.intern}
    for person in everyone:
        cards = [m for m in slack.messages(person) if buttons(m)]
        assert len(cards) == (person in required), person  # each required lead, and only they
        if cards:
            assert buttons(cards[0]) == ["Approve", "Request changes", "Reject"]
            assert "Predict churn 30 days ahead" in text_of(cards[0])
    assert len(required) == 2 and len(card_messages(bot)) == 1 + len(required)


def test_every_copy_is_updated_in_place_and_buttons_go_when_closed(bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    handoff_id = _open_handoff(db).id
    approve_all(bot, handoff_id, [seeded.domain])
    cards = card_messages(bot)
    assert len(cards) == 3
    for card in cards:
        assert f"approved by <@{seeded.domain}>" in text_of(card)
        assert "pending" in text_of(card)
        assert buttons(card) == ["Approve", "Request changes", "Reject"]
    approve_all(bot, handoff_id, [seeded.architect])
    cards = card_messages(bot)
    assert len(cards) == 3, "updates must edit the messages, not post new ones"
    for card in cards:
        assert buttons(card) == []
        assert "Approved" in text_of(card)
    assert len(slack.calls_to("chat.update")) == 6


def test_receivers_get_the_packet_on_approval(bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    approve_all(bot, _open_handoff(db).id, [seeded.domain, seeded.architect])
    for receiver in (seeded.ds, seeded.de):
        dm = text_of(slack.last_message(receiver))
        assert "churn-model is yours" in dm
        assert "warehouse.customers" in dm


def test_request_changes_then_resubmit_starts_a_new_round(bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    handoff_id = _open_handoff(db).id
    approve_all(bot, handoff_id, [seeded.domain])
    reason_modal = click_for_modal(bot, "handoff.request_changes", handoff_id, seeded.architect)
    assert reason_modal["callback_id"] == "handoff.reason"
    assert (
        bot.submit(
            reason_modal, {"reason": "Target date <!channel> too early"}, user=seeded.architect
        ).text
        == ""
    )
    bot.deliver()
    assert _open_handoff(db).status == HandoffStatus.CHANGES_REQUESTED
    to_requester = text_of(slack.last_message(seeded.ds))
    assert "asked for changes" in to_requester
    assert "&lt;!channel&gt;" in to_requester and "<!channel>" not in to_requester
    assert all(buttons(c) == [] for c in card_messages(bot))

    form = open_form(bot, seeded.ds, seeded.key)
    assert prefilled(form)["objective"] == PACKETS["develop"]["objective"]
    bot.submit(form, {**PACKETS["develop"], "target_date": "2026-06-01"}, user=seeded.ds)
    bot.deliver()
    handoff = _open_handoff(db)
    assert (handoff.round, handoff.status) == (2, HandoffStatus.PENDING)
    assert handoff.packet["target_date"] == "2026-06-01"
    approve_all(bot, handoff_id, [seeded.architect])
    assert _stage(db) == Stage.MANAGE, "round-1 approvals must not count in round 2"
    approve_all(bot, handoff_id, [seeded.domain])
    assert _stage(db) == Stage.DEVELOP


def test_reject_closes_the_handoff(bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    handoff_id = _open_handoff(db).id
    modal = click_for_modal(bot, "handoff.reject", handoff_id, seeded.domain)
    bot.submit(modal, {"reason": "No business case"}, user=seeded.domain)
    bot.deliver()
    assert _open_handoff(db).status == HandoffStatus.REJECTED
    assert _stage(db) == Stage.MANAGE
    for card in card_messages(bot):
        assert buttons(card) == []
        assert "No business case" in text_of(card)


def test_reason_is_required_inline(bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    modal = click_for_modal(bot, "handoff.reject", _open_handoff(db).id, seeded.domain)
    response = bot.submit(modal, {"reason": "  "}, user=seeded.domain)
    assert response.json()["response_action"] == "errors"
    assert "reason is required" in response.json()["errors"]["reason"]
    assert _open_handoff(db).status == HandoffStatus.PENDING


def test_missing_packet_field_is_an_inline_error_not_a_failed_submit(bot, slack, db, seeded):
    modal = open_form(bot, seeded.ds, seeded.key)
    response = bot.submit(modal, {**PACKETS["develop"], "objective": ""}, user=seeded.ds)
    assert response.status_code == 200
    body = response.json()
    assert body["response_action"] == "errors"
    assert body["errors"] == {"objective": "Objective is required"}
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Handoff)) == 0


def test_double_click_records_one_decision(bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    handoff_id = _open_handoff(db).id
    for _ in range(3):
        assert bot.click("handoff.approve", str(handoff_id), user=seeded.domain).status_code == 200
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(SignOff)) == 1
    assert slack.responses() == [], "a repeated identical click is silent"


def test_outbox_delivers_in_the_background_after_commit(bot, slack, db, seeded):
    bot.baton.deliverer.start(poll_seconds=30)
    try:
        bot.submit(open_form(bot, seeded.ds, seeded.key), PACKETS["develop"], user=seeded.ds)
        slack.wait_for(lambda: len(card_messages(bot)) == 3)
    finally:
        bot.baton.deliverer.stop()


def test_a_new_form_is_prefilled_from_the_projects_last_packet(bot, slack, db, seeded):
    assert set(prefilled(open_form(bot, seeded.ds, seeded.key)).values()) == {None}
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    bot.reply(f"handoff cancel {seeded.key}", user=seeded.ds)
    again = prefilled(open_form(bot, seeded.ds, seeded.key))
    assert again == PACKETS["develop"]


def test_opening_the_form_only_reads(bot, db, seeded):
    """Nothing is written to open a form, so on SQLite it never queues for the write lock."""
    began: list[bool] = []

    def on_begin(conn) -> None:
        began.append(bool(conn.get_execution_options().get(READ_ONLY)))

    event.listen(db.engine, "begin", on_begin)
    try:
        open_form(bot, seeded.ds, seeded.key)
    finally:
        event.remove(db.engine, "begin", on_begin)
    assert began and all(began)
