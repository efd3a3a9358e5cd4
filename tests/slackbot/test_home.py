"""App Home: my pending sign-offs with their buttons, my projects and roles."""

from __future__ import annotations

from sqlalchemy import func, select

from models.enums import HandoffStatus
from models.handoff import Handoff
from models.workspace import ReceivedEvent
from tests.slackbot.flow import PACKETS, buttons, request_handoff, text_of


def _open_home(bot, user: str, event_id: str, **kw):
    return bot.event(
        {"type": "app_home_opened", "user": user, "tab": "home"}, event_id=event_id, **kw
    )


def test_home_shows_pending_signoffs_with_buttons_and_my_projects(bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    assert _open_home(bot, seeded.domain, "Ev1").status_code == 200
    home = slack.wait_for(lambda: slack.views("home"))[-1]
    said = text_of(home)
    assert "Waiting on your sign-off (1)" in said
    assert "Predict churn 30 days ahead" in said
    assert buttons(home) == ["Approve", "Request changes", "Reject"]
    assert "churn-model" in said and "Domain expert / business translator (lead)" in said


def test_home_for_someone_with_nothing_pending(bot, slack, db, seeded):
    _open_home(bot, seeded.intern, "Ev2")
    said = text_of(slack.wait_for(lambda: slack.views("home"))[-1])
    assert "Nothing waits on you" in said
    assert "Data analyst" in said


def test_approving_from_home_refreshes_it(bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    with db.session() as s:
        handoff_id = s.scalars(select(Handoff.id)).one()
    bot.click("handoff.approve", str(handoff_id), user=seeded.domain, home=True)
    home = slack.wait_for(lambda: slack.views("home"))[-1]
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
