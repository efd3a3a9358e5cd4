"""Requests Slack did not send, or from people and workspaces that may not act: refused, audited."""

from __future__ import annotations

import json
import math
import time
from urllib.parse import urlencode

from sqlalchemy import select

from handlers.envelope import COULD_NOT_READ
from models.audit import AuditEvent
from models.enums import HandoffStatus
from models.handoff import Handoff
from tests.slackbot.flow import PACKETS, request_handoff


def _without_audit(dump: dict) -> dict:
    return {k: v for k, v in dump.items() if k not in ("audit_events", "audit_chain_heads")}


def _refusals(db) -> list[tuple[str, str, str]]:
    with db.session() as s:
        refused = AuditEvent.action.like("refused.%")
        rows = s.scalars(select(AuditEvent).where(refused).order_by(AuditEvent.id))
        return [(e.team_id, e.actor, e.action) for e in rows]


def _handoff(db) -> Handoff:
    with db.session() as s:
        return s.scalars(select(Handoff)).one()


def _command_body(text: str = "project create evil-twin") -> str:
    return urlencode(
        {
            "team_id": "THOME",
            "user_id": "UEVE",
            "channel_id": "C1",
            "command": "/mlops",
            "text": text,
            "trigger_id": "t",
        }
    )


def test_forged_signature_is_401_and_touches_nothing(bot, slack, db):
    before = db.dump()
    body = _command_body()
    response = bot.post(body, headers={"X-Slack-Signature": "v0=" + "0" * 64})
    assert response.status_code == 401
    assert db.dump() == before


def test_missing_signature_is_401(bot, slack, db):
    import requests

    before = db.dump()
    response = requests.post(
        f"{bot.url}/slack/events",
        data=_command_body(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        timeout=5,
    )
    assert response.status_code == 401
    assert db.dump() == before
    assert slack.responses() == []


def test_stale_and_future_timestamps_are_401(bot, slack, db):
    before = db.dump()
    assert bot.post(_command_body(), timestamp=int(time.time()) - 301).status_code == 401
    # Rounded up: a stamp truncated to the second could fall back inside the window.
    assert bot.post(_command_body(), timestamp=math.ceil(time.time()) + 302).status_code == 401
    assert db.dump() == before


def test_body_altered_after_signing_is_401(bot, slack, db):
    before = db.dump()
    signed = bot.signer.headers(_command_body("help"))
    response = bot.post(_command_body(), headers=signed)  # the signature is of another body
    assert response.status_code == 401
    assert db.dump() == before


def test_oversized_body_is_refused(bot, slack, db):
    before = db.dump()
    response = bot.post(_command_body("x" * 600_000))
    assert response.status_code == 413
    assert db.dump() == before


def test_command_from_another_workspace_is_refused_and_audited(bot, slack, db):
    before = db.dump()
    reply = bot.reply("project create evil-twin", user="UEVE", team="TOTHER")
    assert reply["response_type"] == "ephemeral"
    assert "not connected to Baton" in reply["text"]
    assert _without_audit(db.dump()) == _without_audit(before)
    assert _refusals(db) == [("TOTHER", "UEVE", "refused.foreign_workspace")]


def test_click_from_another_workspace_is_refused(bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    before = db.dump()
    response = bot.click("handoff.approve", str(_handoff(db).id), user=seeded.domain, team="TOTHER")
    assert response.status_code == 200
    assert _without_audit(db.dump()) == _without_audit(before)
    assert _refusals(db) == [("TOTHER", seeded.domain, "refused.foreign_workspace")]


def test_non_lead_click_gets_an_ephemeral_reason_and_is_audited(bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    before = db.dump()
    assert bot.click("handoff.approve", str(_handoff(db).id), user=seeded.intern).status_code == 200
    answer = slack.wait_for(lambda: slack.responses())[-1]
    assert answer["response_type"] == "ephemeral"
    assert "only the lead" in answer["text"].lower()
    assert _handoff(db).status == HandoffStatus.PENDING
    assert _without_audit(db.dump()) == _without_audit(before)
    assert _refusals(db) == [("THOME", seeded.intern, "refused.handoff.approve")]


def test_non_lead_reject_or_request_changes_is_refused_before_any_reason_is_asked(
    bot, slack, db, seeded
):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    forms_before = len(slack.calls_to("views.open"))
    before = db.dump()
    for action in ("handoff.reject", "handoff.request_changes"):
        assert bot.click(action, str(_handoff(db).id), user=seeded.intern).status_code == 200
    answers = slack.wait_for(lambda: len(slack.responses()) == 2 and slack.responses())
    assert all(a["response_type"] == "ephemeral" for a in answers)
    assert all("only the lead" in a["text"].lower() for a in answers)
    assert len(slack.calls_to("views.open")) == forms_before, "no reason modal opened"
    assert _without_audit(db.dump()) == _without_audit(before)
    assert sorted(_refusals(db)) == [  # each click answers after its ack: in either order
        ("THOME", seeded.intern, "refused.handoff.reject"),
        ("THOME", seeded.intern, "refused.handoff.request_changes"),
    ]


def test_tampered_button_value_is_refused(bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    before = db.dump()
    for value in ("999999", "1 OR 1=1", "-1", ""):
        bot.click("handoff.approve", value, user=seeded.domain)
    slack.wait_for(lambda: len(slack.responses()) == 4)
    assert all("does not" in r["text"] for r in slack.responses())
    assert db.dump() == before


def test_admin_may_decide_for_a_role_they_do_not_lead(bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    bot.click("handoff.approve", str(_handoff(db).id), user="UADMIN")
    assert _handoff(db).status == HandoffStatus.APPROVED


def test_unknown_action_id_gets_an_ephemeral_reason_and_changes_nothing(bot, slack, db, seeded):
    before = db.dump()
    response = bot.click("handoff.detonate", "1", user=seeded.domain)
    assert response.status_code == 200
    answer = slack.wait_for(lambda: slack.responses())[-1]
    assert answer["response_type"] == "ephemeral"
    assert "does not know that button" in answer["text"]
    assert db.dump() == before


def test_malformed_payload_is_rejected_without_a_500(bot, slack, db):
    before = db.dump()
    response = bot.post(urlencode({"payload": "{not json"}))
    assert response.status_code == 400
    # A signed event with nothing in it: refused for its shape before any listener runs, and
    # nothing is written (not even a refusal: it names no workspace or person to audit).
    response = bot.post(json.dumps({"type": "event_callback"}), "application/json")
    assert response.status_code == 400
    assert response.json()["text"] == COULD_NOT_READ
    assert db.dump() == before


def test_a_replayed_request_changes_nothing_more(bot, slack, db, seeded):
    body = _command_body("project create replayed-key")
    headers = bot.signer.headers(body)
    first = bot.post(body, headers=headers)
    before = db.dump()
    again = bot.post(body, headers=headers)  # byte for byte, inside the 5-minute window
    assert first.status_code == again.status_code == 200
    assert "already exists" in again.json()["blocks"][0]["text"]["text"]
    assert _without_audit(db.dump()) == _without_audit(before)


def test_button_pointing_at_another_workspaces_handoff_is_refused(bot, slack, db, seeded):
    from models.enums import Role
    from models.schemas.base import Actor
    from models.services import handoffs, projects, roster

    other = Actor("TOTHER", "UOWNER")
    with db.session() as s:
        projects.create_project(s, other, "their-model", None, "CTHEIRS")
        for role in (Role.DOMAIN_EXPERT, Role.ML_ARCHITECT, Role.DATA_SCIENTIST):
            roster.assign_role(s, other, "their-model", role, seeded.domain, lead=True)
        theirs = handoffs.request_handoff(
            s,
            Actor("TOTHER", seeded.domain),
            "their-model",
            None,
            PACKETS_MANAGE,
            bot.baton.rt.policy,
        )
    before = db.dump()
    bot.click("handoff.approve", str(theirs.id), user=seeded.domain)  # from THOME
    answer = slack.wait_for(lambda: slack.responses())[-1]
    assert "does not exist in this workspace" in answer["text"]
    assert db.dump() == before


def test_click_on_a_closed_handoff_says_so_and_changes_nothing(bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    handoff_id = _handoff(db).id
    bot.reply("handoff cancel churn-model", user=seeded.ds)
    before = db.dump()
    bot.click("handoff.approve", str(handoff_id), user=seeded.domain)
    answer = slack.wait_for(lambda: slack.responses())[-1]
    assert "already cancelled" in answer["text"]
    assert _without_audit(db.dump()) == _without_audit(before)


PACKETS_MANAGE = PACKETS["develop"]
