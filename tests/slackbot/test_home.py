"""App Home: my pending sign-offs with their buttons, my projects and roles."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from models.audit import AuditEvent
from models.base import utcnow
from models.enums import HandoffStatus, Role
from models.handoff import Handoff
from models.schemas.base import Actor
from models.services import monitoring, projects, roster
from models.workspace import ReceivedEvent
from tests.slackbot.conftest import ADMIN
from tests.slackbot.flow import (
    PACKETS,
    approve_all,
    buttons,
    click_for_modal,
    deliver_all,
    request_handoff,
    text_of,
    wait_for_modal,
)
from tests.slackbot.harness import HOME


def _open_home(bot, user: str, event_id: str, **kw):
    return bot.event(
        {"type": "app_home_opened", "user": user, "tab": "home"}, event_id=event_id, **kw
    )


def _opened_home(bot, user: str, event_id: str):
    """The home Baton publishes for `user` when they open it (not an earlier refresh)."""
    before = _homes_published(bot.fake).get(user, 0)
    assert _open_home(bot, user, event_id).status_code == 200
    bot.fake.wait_for(lambda: _homes_published(bot.fake).get(user, 0) > before)
    return bot.fake.home(user)


def test_home_shows_pending_signoffs_with_buttons_and_my_projects(bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    home = _opened_home(bot, seeded.domain, "Ev1")
    said = text_of(home)
    assert "Waiting on your sign-off (1)" in said
    assert "Predict churn 30 days ahead" in said
    # The project's hand-off is open: Home shows it, not a button asking for another; the
    # domain expert may not edit roles, so that button is not offered.
    assert buttons(home) == [
        *("New project", "Request a hand-off", "Away…"),
        *("Approve", "Request changes", "Reject"),
        "Status",
    ]
    assert "Hand-off open (manage → develop, round 1): :hourglass_flowing_sand:" in said
    assert "churn-model" in said and "Domain expert / business translator (lead)" in said
    # What waits on me comes first, with its SLA: the default policy gives manage → develop 48 h.
    assert said.index("Waiting on your sign-off") < said.index("My projects")
    assert "due in 47 h" in said


def test_home_for_someone_with_nothing_pending(bot, slack, db, seeded):
    _open_home(bot, seeded.intern, "Ev2")
    said = text_of(slack.wait_for(lambda: slack.views("home"))[-1])
    assert "Nothing waits on you" in said
    assert "Data analyst" in said


def test_approving_from_home_refreshes_it(bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    with db.session() as s:
        handoff_id = s.scalars(select(Handoff.id)).one()
    before = _homes_published(slack).get(seeded.domain, 0)
    bot.click("handoff.approve", str(handoff_id), user=seeded.domain, home=True)
    slack.wait_for(lambda: _homes_published(slack).get(seeded.domain, 0) > before)
    home = slack.home(seeded.domain)
    assert "Waiting on your sign-off (0)" in text_of(home)
    with db.session() as s:
        assert s.get(Handoff, handoff_id).status == HandoffStatus.PENDING
        assert len(s.get(Handoff, handoff_id).signoffs) == 1


def test_event_retries_are_handled_once(bot, slack, db, seeded):
    _open_home(bot, seeded.intern, "EvSame")
    slack.wait_for(lambda: slack.calls_to("views.publish"))
    # A redelivery carries the same event_id; were it handled, a home for seeded.ds would appear.
    retry = bot.event(
        {"type": "app_home_opened", "user": seeded.ds, "tab": "home"},
        event_id="EvSame",
        headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"},
    )
    assert retry.status_code == 200
    _open_home(bot, seeded.architect, "EvOther")
    slack.wait_for(lambda: len(slack.calls_to("views.publish")) >= 2)
    published_for = [c.params["user_id"] for c in slack.calls_to("views.publish")]
    assert published_for == [seeded.intern, seeded.architect]
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(ReceivedEvent)) == 2


def _homes_published(slack) -> dict[str, int]:
    counts: dict[str, int] = {}
    for call in slack.calls_to("views.publish"):
        counts[call.params["user_id"]] = counts.get(call.params["user_id"], 0) + 1
    return counts


def test_an_overdue_signoff_says_by_how_much(bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    with db.session() as s:
        handoff = s.scalars(select(Handoff)).one()
        handoff.due_at = handoff.requested_at - timedelta(hours=5, minutes=10)
    said = text_of(_opened_home(bot, seeded.architect, "EvLate"))
    assert "overdue 5 h" in said


def test_homes_are_republished_when_what_concerns_them_changes(clock, bot, slack, db, seeded):
    deliver_all(bot, clock)  # the seed's own role changes republished everyone's home once
    seen = _homes_published(slack)

    def since() -> dict[str, int]:
        now = _homes_published(slack)
        return {u: n - seen.get(u, 0) for u, n in now.items() if n > seen.get(u, 0)}

    # Nobody opened a home: a sign-off asked of them republishes the leads' homes.
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    deliver_all(bot, clock)
    assert since() == {seeded.domain: 1, seeded.architect: 1}
    assert "Waiting on your sign-off (1)" in text_of(slack.home(seeded.architect))

    with db.session() as s:
        handoff_id = s.scalars(select(Handoff.id)).one()
    bot.click("handoff.approve", str(handoff_id), user=seeded.domain)
    deliver_all(bot, clock)
    # Decided: the requester's and every required lead's home, once each.
    assert since() == {seeded.domain: 2, seeded.architect: 2, seeded.ds: 1}
    assert "Waiting on your sign-off (0)" in text_of(slack.home(seeded.domain))

    bot.reply(f"role assign {seeded.key} compliance <@UJON> lead", user=seeded.creator)
    deliver_all(bot, clock)
    assert since()["UJON"] == 1
    assert "Legal / compliance (lead)" in text_of(slack.home("UJON"))


def test_request_handoff_from_home_opens_the_form_for_the_next_stage(bot, slack, db, seeded):
    opened = len(slack.calls_to("views.open"))
    bot.click("home.request_handoff", seeded.key, user=seeded.ds, home=True)
    form = wait_for_modal(bot, opened)
    assert form["callback_id"] == "handoff.submit"
    assert "manage → develop" in text_of(form)

    bot.click("home.status", seeded.key, user=seeded.ds, home=True)
    status = wait_for_modal(bot, opened + 1)
    assert status["title"]["text"] == "Project status" and "churn-model" in text_of(status)
    assert "submit" not in status and status["close"]["text"] == "Close"  # its only button


def test_request_a_handoff_asks_which_project_when_there_are_several(bot, slack, db, seeded):
    with db.session() as s:
        projects.create_project(s, Actor(HOME, seeded.creator), "fraud", "Fraud", "CFRAUD")
        roster.assign_role(s, Actor(HOME, seeded.creator), "fraud", Role.DATA_SCIENTIST, seeded.ds)
    opened = len(slack.calls_to("views.open"))
    bot.click("home.choose_handoff", "", user=seeded.ds, home=True)
    choice = wait_for_modal(bot, opened)
    options = [
        o["value"]
        for b in choice["blocks"]
        if b["type"] == "input"
        for o in b["element"]["options"]
    ]
    assert options == [seeded.key, "fraud"]
    state = {
        "project": {"value": {"type": "static_select", "selected_option": {"value": seeded.key}}}
    }
    answer = bot.submit_state(choice, state, user=seeded.ds).json()
    assert answer["response_action"] == "update"
    assert answer["view"]["callback_id"] == "handoff.submit"


def test_edit_roles_is_offered_only_to_who_may_edit_them(bot, slack, db, seeded):
    assert "Edit roles" not in buttons(_opened_home(bot, seeded.intern, "EvEdit1"))
    assert buttons(_opened_home(bot, seeded.architect, "EvEdit2"))[-3:] == [
        *("Status", "Request hand-off", "Edit roles")
    ]


def test_an_admin_is_offered_edit_roles_on_every_project_they_see(bot, slack, db, seeded):
    with db.session() as s:
        creator = Actor(HOME, seeded.creator)
        roster.assign_role(s, creator, seeded.key, Role.DATA_ANALYST, ADMIN)
    bot.deliver()  # the refresh the new role queued, rendered by the outbox
    assert "Edit roles" in buttons(slack.home(ADMIN))
    assert "Edit roles" in buttons(_opened_home(bot, ADMIN, "EvAdmin"))  # and when opened


def test_a_refused_home_click_is_answered_on_screen(bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    bot.deliver()
    messages_before = len(slack.messages())
    opened = len(slack.calls_to("views.open"))
    # A Home published before the hand-off opened still has the button.
    bot.click("home.request_handoff", seeded.key, user=seeded.ds, home=True)
    notice = wait_for_modal(bot, opened)
    assert notice["callback_id"] == "baton.notice"
    assert "already has an open hand-off" in text_of(notice)
    assert len(slack.messages()) == messages_before  # no DM


def test_request_a_handoff_with_no_project_is_a_plain_message(bot, slack, db, seeded):
    opened = len(slack.calls_to("views.open"))
    bot.click("home.choose_handoff", "", user="UNOBODY", home=True)
    notice = wait_for_modal(bot, opened)
    assert "You hold no role on any project yet" in text_of(notice)
    with db.session() as s:
        refused = s.scalars(select(AuditEvent.action).where(AuditEvent.action.like("refused.%")))
        assert list(refused) == []  # nothing was refused: there was nothing to hand off


def test_a_handoff_sent_back_waits_on_its_requester_to_resubmit(clock, bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    with db.session() as s:
        handoff_id = s.scalars(select(Handoff.id)).one()
    reason = click_for_modal(bot, "handoff.request_changes", handoff_id, seeded.architect)
    bot.submit(reason, {"reason": "Too early"}, user=seeded.architect)
    deliver_all(bot, clock)
    home = slack.home(seeded.ds)
    said = text_of(home)
    assert "Nothing waits on you" not in said
    assert "Waiting on you to resubmit (1)" in said
    resubmit = [
        e
        for b in home["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e["text"]["text"] == "Resubmit"
    ]
    assert [(e["action_id"], e["value"]) for e in resubmit] == [
        ("handoff.resubmit", str(handoff_id))
    ]
    opened = len(slack.calls_to("views.open"))
    bot.click("handoff.resubmit", str(handoff_id), user=seeded.ds, home=True)
    assert wait_for_modal(bot, opened)["callback_id"] == "handoff.submit"


def test_archiving_refreshes_every_members_home_and_the_alert_cards(clock, bot, slack, db, seeded):
    with db.session() as s:
        ds = Actor(HOME, seeded.ds)
        monitoring.add_monitor(s, ds, seeded.key, "auc", "min", 0.8)
        monitoring.record_observation(s, ds, seeded.key, "auc", 0.7, "slack", utcnow())
    deliver_all(bot, clock)
    assert "churn-model" in text_of(slack.home(seeded.intern))  # its role, in My projects
    updates = len(slack.calls_to("chat.update"))
    # No hand-off is open: nothing else would tell the cards or the homes.
    assert "archived" in text_of(bot.reply("project archive churn-model", user=seeded.creator))
    deliver_all(bot, clock)
    for member in (seeded.intern, seeded.devops, seeded.architect):
        assert "You hold no role yet" in text_of(slack.home(member))
    assert len(slack.calls_to("chat.update")) > updates  # the open alert's card, edited


def test_a_stage_advance_refreshes_every_members_home(clock, bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    with db.session() as s:
        handoff_id = s.scalars(select(Handoff.id)).one()
    approve_all(bot, handoff_id, [seeded.domain, seeded.architect])
    deliver_all(bot, clock)
    # The intern (a data analyst) neither signs nor requested: their home still moves on.
    assert "churn-model`): develop" in text_of(slack.home(seeded.intern))
