"""The listener wrapper and the outage paths (issues 16 §2 and 10 §5): an error after the
acknowledgement never cancels it, input errors are not called outages, a modal Slack would not
open is told to the user, and an event during an outage is deferred (503), never a crash."""

from __future__ import annotations

import json
import time

from sqlalchemy import select

from bot.db import make_engine, make_session_factory
from models.audit import AuditEvent
from models.handoff import SignOff
from models.schemas.base import Actor
from models.services import monitoring
from tests.slackbot import malformed
from tests.slackbot.api_client import Api, make_token
from tests.slackbot.flow import PACKETS, request_handoff
from tests.slackbot.harness import HOME
from tests.slackbot.test_security import _handoff


def _click(bot, action: str, value: str, user: str, response_url: str):
    payload = malformed.click_payload(action, value, user={"id": user, "team_id": HOME})
    payload["response_url"] = response_url
    return malformed.signed_with(
        bot, malformed.interaction(payload), str(int(time.time())), malformed.FORM
    )


def test_clicks_whose_answer_cannot_be_sent_are_still_acknowledged_at_once(bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    handoff = str(_handoff(db).id)
    assert _click(bot, "handoff.approve", handoff, seeded.domain, "not a url").status_code == 200
    for _ in range(3):  # refused, and the refusal cannot reach a malformed response_url
        started = time.monotonic()
        response = _click(bot, "handoff.approve", handoff, seeded.intern, "not a url")
        assert response.status_code == 200
        assert time.monotonic() - started < 2.0
    with db.session() as s:
        signed = s.scalars(select(SignOff.user_id)).all()
        refusals = s.scalars(select(AuditEvent.action).where(AuditEvent.actor == seeded.intern))
        assert list(refusals) == ["refused.handoff.approve"] * 3
    assert list(signed) == [seeded.domain]  # the approval stands, nothing else was recorded


def test_a_button_whose_modal_slack_will_not_open_tells_the_user(bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    bot.baton.rt.client.timeout = 1
    slack.delay("views.open", 5, applied=False)
    response = bot.click("handoff.reject", str(_handoff(db).id), user=seeded.domain)
    assert response.status_code == 200
    answer = slack.wait_for(lambda: slack.responses(), timeout=10)[-1]
    assert answer["response_type"] == "ephemeral"
    assert "did not open the form" in answer["text"]


def test_a_form_with_metadata_baton_did_not_write_is_not_called_an_outage(bot, slack, db, seeded):
    before = db.dump()
    for meta in ({"key": seeded.key, "to": "moon"}, {"key": 5}, "{broken"):
        view = {
            "type": "modal",
            "callback_id": "handoff.submit",
            "private_metadata": json.dumps(meta),
        }
        if isinstance(meta, str):
            view["private_metadata"] = meta
        response = bot.submit(view, PACKETS["develop"], user=seeded.ds)
        assert response.status_code == 200
        answer = response.json()
        assert answer["response_action"] == "errors"
        shown = " ".join(answer["errors"].values())
        assert "could not read that request" in shown
        assert "database" not in shown
    assert db.dump() == before


def test_an_event_during_a_database_outage_is_deferred_not_crashed(
    bot, slack, seeded, tmp_path, caplog
):
    bot.reply("help", user=seeded.ds)  # the workspace is known: only the event needs the database
    healthy = bot.baton.rt.sessions
    bot.baton.rt.sessions = make_session_factory(make_engine(f"sqlite:///{tmp_path}/no/such.db"))
    try:
        event = {"type": "app_home_opened", "user": seeded.ds, "tab": "home"}
        response = bot.event(event, event_id="EvOUTAGE1")
    finally:
        bot.baton.rt.sessions = healthy
    assert response.status_code == 503  # not a crashed middleware's 500: Slack delivers it again
    assert any("database unavailable" in r.getMessage() for r in caplog.records)
    assert not any(r.exc_info for r in caplog.records)


def test_a_unix_number_is_not_a_date_time(bot, db, seeded):
    with db.session() as s:
        monitoring.add_monitor(s, Actor(HOME, seeded.ds), seeded.key, "auc", "min", 0.8)
    api = Api(bot.url, make_token(db))
    before = db.dump()
    body = {"project": seeded.key, "metric": "auc", "value": 0.1, "observed_at": 0}
    response = api.post("/api/v1/metrics", body)
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["body", "observed_at"]
    assert {k: v for k, v in db.dump().items() if k != "api_tokens"} == {
        k: v for k, v in before.items() if k != "api_tokens"
    }
