"""Every copy of every card tells the truth after every change: hand-off cards in the channel
and DMs after a rejection or a cancel, the requester told, Resubmit after changes, the
ephemeral `signoffs` answer replaced after a click."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select

from models.handoff import Handoff
from tests.slackbot.conftest import ADMIN
from tests.slackbot.flow import (
    PACKETS,
    buttons,
    card_messages,
    click_for_modal,
    last_modal,
    prefilled,
    request_handoff,
    text_of,
    wait_for_modal,
)


def handoff_id(db) -> int:
    with db.session() as s:
        return s.scalars(select(Handoff.id).order_by(Handoff.id.desc())).first()


def requested(bot, db, seeded) -> int:
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    return handoff_id(db)


def decide_with_reason(bot, action: str, hid: int, user: str, reason: str) -> None:
    modal = click_for_modal(bot, action, hid, user)
    assert bot.submit(modal, {"reason": reason}, user=user).status_code == 200
    bot.deliver()


def assert_every_copy_closed(bot, status: str) -> None:
    """The channel card and each lead's DM: the outcome, no buttons, no role left pending."""
    cards = card_messages(bot)
    assert {c["channel"] for c in cards} >= {"CCHURN", "DUDOMAIN", "DUARCH"}
    for card in cards:
        said = text_of(card)
        assert status in said and "pending" not in said, (card["channel"], said)
        assert buttons(card) == [], card["channel"]


def test_a_rejection_reaches_the_requester_and_the_channel_and_closes_every_copy(
    bot, slack, db, seeded
):
    hid = requested(bot, db, seeded)

    decide_with_reason(bot, "handoff.reject", hid, seeded.architect, "Out of scope <!channel>")

    assert_every_copy_closed(bot, "Rejected")
    card = text_of(next(c for c in card_messages(bot) if c["channel"] == seeded.channel))
    assert "*Domain expert / business translator*: not needed — closed" in card
    dm = text_of(slack.last_message(seeded.ds))
    assert (
        f"Your *churn-model* hand-off (manage → develop, round 1) was rejected by <@{seeded.architect}>"
        in dm
    )
    assert "“Out of scope &lt;!channel&gt;”" in dm and "<!channel>" not in dm
    told = [m for m in slack.messages(seeded.channel) if "was rejected by" in text_of(m)]
    assert len(told) == 1 and "The *churn-model* hand-off" in text_of(told[0])
    assert "stays in manage" in text_of(told[0])


def test_an_admin_cancel_reaches_the_requester_and_the_channel(bot, slack, db, seeded):
    requested(bot, db, seeded)

    bot.reply(f"handoff cancel {seeded.key}", user=ADMIN)
    bot.deliver()

    assert_every_copy_closed(bot, f"Cancelled by <@{ADMIN}>")  # not "by the requester"
    assert f"was cancelled by <@{ADMIN}>" in text_of(slack.last_message(seeded.ds))
    told = [m for m in slack.messages(seeded.channel) if "was cancelled by" in text_of(m)]
    assert len(told) == 1


def test_changes_requested_gives_the_requester_a_resubmit_button_that_opens_the_filled_form(
    bot, slack, db, seeded
):
    hid = requested(bot, db, seeded)
    decide_with_reason(bot, "handoff.request_changes", hid, seeded.domain, "Name the metric")

    dm = slack.last_message(seeded.ds)
    assert buttons(dm) == ["Resubmit"] and "Name the metric" in text_of(dm)
    assert "Run `/mlops" not in text_of(dm)
    opened = len(slack.calls_to("views.open"))
    assert bot.click("handoff.resubmit", str(hid), user=seeded.ds, message=dm).status_code == 200
    form = wait_for_modal(bot, opened)
    assert prefilled(form) == PACKETS["develop"]
    assert form["submit"]["text"] == "Resubmit"

    changed = {**PACKETS["develop"], "success_metric": "AUC >= 0.86 on holdout"}
    assert bot.submit(form, changed, user=seeded.ds).text == ""
    bot.deliver()
    with db.session() as s:
        handoff = s.get(Handoff, hid)
        assert (handoff.round, handoff.status.value) == (2, "pending")

    # The old DM's button now says why there is nothing to resubmit, and opens nothing.
    opened = len(slack.calls_to("views.open"))
    bot.click("handoff.resubmit", str(hid), user=seeded.ds, message=dm)
    answer = slack.wait_for(lambda: slack.responses())[-1]
    assert "is pending now, so there is nothing to resubmit" in answer["text"]
    assert len(slack.calls_to("views.open")) == opened


def _ephemeral_signoffs(bot, user: str) -> dict[str, Any]:
    answer = bot.reply("signoffs", user=user)
    assert buttons(answer) == ["Approve", "Request changes", "Reject"]
    return answer


def test_approving_from_the_signoffs_answer_replaces_that_answer(bot, slack, db, seeded):
    hid = requested(bot, db, seeded)
    _ephemeral_signoffs(bot, seeded.architect)

    r = bot.click("handoff.approve", str(hid), user=seeded.architect, ephemeral=True)
    assert r.status_code == 200

    replaced = slack.wait_for(lambda: slack.responses())[-1]
    said = text_of(replaced)
    assert replaced["replace_original"] is True
    assert "You approved *churn-model* (manage → develop)" in said
    assert f"*ML architect*: approved by <@{seeded.architect}>" in said
    assert f"pending, <@{seeded.architect}>" not in said
    assert buttons(replaced) == [] and "Nothing waits on your sign-off" in said


def test_rejecting_from_the_signoffs_answer_replaces_it_once_the_reason_is_in(
    bot, slack, db, seeded
):
    hid = requested(bot, db, seeded)
    _ephemeral_signoffs(bot, seeded.domain)
    opened = len(slack.calls_to("views.open"))
    bot.click("handoff.reject", str(hid), user=seeded.domain, ephemeral=True)
    modal = wait_for_modal(bot, opened)
    assert json.loads(modal["private_metadata"])["reply"].endswith(f"click-{seeded.domain}")

    assert bot.submit(last_modal(bot), {"reason": "Too early"}, user=seeded.domain).text == ""

    replaced = slack.wait_for(lambda: slack.responses())[-1]
    said = text_of(replaced)
    assert replaced["replace_original"] is True and buttons(replaced) == []
    assert "You rejected *churn-model*" in said and "“Too early”" in said
    assert "pending" not in said and "not needed — closed" in said


def test_the_changes_requested_dm_loses_its_resubmit_button_once_resubmitted(
    bot, slack, db, seeded
):
    hid = requested(bot, db, seeded)
    decide_with_reason(bot, "handoff.request_changes", hid, seeded.domain, "Name the metric")
    dm = slack.last_message(seeded.ds)
    assert buttons(dm) == ["Resubmit"]
    opened = len(slack.calls_to("views.open"))
    bot.click("handoff.resubmit", str(hid), user=seeded.ds, message=dm)
    form = wait_for_modal(bot, opened)
    assert bot.submit(form, PACKETS["develop"], user=seeded.ds).text == ""
    bot.deliver()
    edited = next(m for m in slack.messages(seeded.ds) if m["ts"] == dm["ts"])
    assert "Resubmit" not in buttons(edited)
    assert "Waiting for sign-off" in text_of(edited) and "round 2" in text_of(edited)


def test_the_changes_requested_dm_shows_the_cancel(bot, slack, db, seeded):
    hid = requested(bot, db, seeded)
    decide_with_reason(bot, "handoff.request_changes", hid, seeded.domain, "Name the metric")
    dm = slack.last_message(seeded.ds)
    bot.reply(f"handoff cancel {seeded.key}", user=seeded.ds)
    bot.deliver()
    edited = next(m for m in slack.messages(seeded.ds) if m["ts"] == dm["ts"])
    assert buttons(edited) == []
    assert "Cancelled by the requester" in text_of(edited)
