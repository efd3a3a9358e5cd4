"""Away from App Home: the Away… button opens a modal (date, delegate, reason) that calls the
same service as `/mlops away`; bad input comes back as field errors and changes nothing; Home
is published again showing the absence, and Back ends it."""

from __future__ import annotations

import time

from sqlalchemy import func, select

from models.audit import AuditEvent
from models.handoff import Handoff
from models.people import Absence
from tests.slackbot.flow import (
    PACKETS,
    buttons,
    deliver_all,
    prefilled,
    request_handoff,
    text_of,
    wait_for_modal,
)

SAM = "USAM"


def _open_away(bot, user: str, action: str = "home.away") -> dict:
    opened = len(bot.fake.calls_to("views.open"))
    assert bot.click(action, "", user=user, home=True).status_code == 200
    return wait_for_modal(bot, opened)


def _absences(db) -> list[Absence]:
    with db.session() as s:
        return list(s.scalars(select(Absence).order_by(Absence.id)))


def _state(until: str, delegate: str | None = None, reason: str = "") -> dict:
    return {
        "until": {"value": {"type": "datepicker", "selected_date": until}},
        "delegate": {"value": {"type": "users_select", "selected_user": delegate}},
        "reason": {"value": {"type": "plain_text_input", "value": reason or None}},
    }


def test_home_offers_away_and_the_button_opens_the_modal(clock, bot, slack, db, seeded):
    bot.deliver()
    assert buttons(slack.home(seeded.domain))[:3] == ["New project", "Request a hand-off", "Away…"]
    form = _open_away(bot, seeded.domain)
    call = slack.calls_to("views.open")[-1]
    assert call.params["trigger_id"].startswith("trig-")  # the click's own trigger
    assert form["callback_id"] == "home.away_submit" and form["title"]["text"] == "Away"
    # Tomorrow (the clock says Mon 2026-03-02), nobody, no reason; only the date is required.
    assert prefilled(form) == {"until": "2026-03-03", "delegate": None, "reason": None}
    kinds = {b["block_id"]: (b["element"]["type"], b["optional"]) for b in form["blocks"][1:]}
    assert kinds == {
        "until": ("datepicker", False),
        "delegate": ("users_select", True),
        "reason": ("plain_text_input", True),
    }
    assert form["blocks"][3]["element"]["max_length"] == 300  # absences.REASON_MAX


def test_a_past_date_or_yourself_as_delegate_is_a_field_error_and_changes_nothing(
    clock, bot, slack, db, seeded
):
    form = _open_away(bot, seeded.domain)
    answer = bot.submit_state(form, _state("2026-03-01", SAM), user=seeded.domain).json()
    assert answer["response_action"] == "errors"
    assert "2026-03-01 has passed" in answer["errors"]["until"]
    answer = bot.submit_state(form, _state("2026-03-10", seeded.domain), user=seeded.domain)
    assert "Name someone else" in answer.json()["errors"]["delegate"]
    slack.users["UBOT"] = "Deploy bot"
    slack.user_fields["UBOT"] = {"is_bot": True}
    answer = bot.submit_state(form, _state("2026-03-10", "UBOT"), user=seeded.domain)
    assert "An app cannot sign off" in answer.json()["errors"]["delegate"]
    slack.users["UGONE"] = "Gone Person"
    slack.user_fields["UGONE"] = {"deleted": True}
    answer = bot.submit_state(form, _state("2026-03-10", "UGONE"), user=seeded.domain)
    assert "left the workspace" in answer.json()["errors"]["delegate"]
    assert _absences(db) == []
    with db.session() as s:  # bad input, not a permission refusal: nothing audited
        assert (
            s.scalars(select(AuditEvent.action).where(AuditEvent.actor == seeded.domain)).all()
            == []
        )


def test_going_away_from_home_reroutes_dms_the_delegate_and_back_ends_it(
    clock, bot, slack, db, seeded
):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    with db.session() as s:
        handoff_id = s.scalars(select(Handoff.id)).one()
    form = _open_away(bot, seeded.domain)
    state = _state("2026-03-20", SAM, "At <KDD> all week")
    answer = bot.submit_state(form, state, user=seeded.domain)
    assert (answer.status_code, answer.text) == (200, "")  # the modal closes
    (absence,) = _absences(db)
    assert (absence.until.isoformat(), absence.delegate, absence.reason) == (
        "2026-03-20",
        SAM,
        "At <KDD> all week",
    )
    deliver_all(bot, clock)
    # Sam got the card by DM, with its buttons, and sees it on App Home; every copy says so.
    (dm,) = [m for m in slack.messages(SAM) if "Hand-off ·" in text_of(m)]
    assert buttons(dm) == ["Approve", "Request changes", "Reject"]
    sams_home = text_of(slack.home(SAM))
    assert "Waiting on your sign-off (1)" in sams_home
    assert f"you sign as *Domain expert / business translator* for <@{seeded.domain}> (away)" in (
        sams_home
    )
    line = f"pending, <@{SAM}> for <@{seeded.domain}> (away)"
    channel_cards = [m for m in slack.messages(seeded.channel) if "Hand-off ·" in text_of(m)]
    assert channel_cards and all(line in text_of(m) for m in channel_cards)
    # The absent lead's Home says so, with Back and Change… in place of Away….
    home = slack.home(seeded.domain)
    said = text_of(home)
    assert f"You are away until *2026-03-20*, <@{SAM}> signs for you." in said
    assert "At &lt;KDD&gt; all week" in said
    assert "Waiting on your sign-off (0)" in said
    assert "Away…" not in buttons(home) and buttons(home)[2:4] == ["Back", "Change…"]

    # Change… opens the modal on the absence as it stands.
    change = _open_away(bot, seeded.domain)
    assert change["title"]["text"] == "Change absence"
    assert prefilled(change) == {
        "until": "2026-03-20",
        "delegate": SAM,
        "reason": "At <KDD> all week",
    }

    assert bot.click("home.back", "", user=seeded.domain, home=True).status_code == 200
    deliver_all(bot, clock)
    (absence,) = _absences(db)
    assert absence.ended_at is not None
    home = slack.home(seeded.domain)
    assert "You are away" not in text_of(home) and "Away…" in buttons(home)
    assert "Waiting on your sign-off (1)" in text_of(home)  # handed back
    assert "you sign as *Domain expert / business translator*\n" in text_of(home)
    assert "Waiting on your sign-off (0)" in text_of(slack.home(SAM))
    with db.session() as s:
        actions = s.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.action.like("absence.%"))
            .order_by(AuditEvent.id)
        ).all()
        assert s.get(Handoff, handoff_id).status.value == "pending"
    assert actions == ["absence.started", "absence.ended"]


def test_back_when_not_away_is_told_and_changes_nothing(clock, bot, slack, db, seeded):
    assert bot.click("home.back", "", user=seeded.domain, home=True).status_code == 200
    notice = slack.wait_for(lambda: slack.calls_to("views.open"))[-1].params["view"]
    assert "You are not away" in text_of(notice)
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Absence)) == 0


def test_a_slow_users_info_does_not_hold_the_submission_past_slacks_three_seconds(
    clock, bot, slack, db, seeded
):
    form = _open_away(bot, seeded.domain)
    slack.delay("users.info", 3.5)
    started = time.monotonic()
    answer = bot.submit_state(form, _state("2026-03-10", SAM), user=seeded.domain)
    elapsed = time.monotonic() - started
    assert (answer.status_code, answer.text) == (200, "")  # Slack unsure: no objection
    assert elapsed < 3, elapsed
    ((_, delegate),) = [(a.until, a.delegate) for a in _absences(db)]
    assert delegate == SAM
