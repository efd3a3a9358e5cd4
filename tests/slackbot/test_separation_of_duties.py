"""Separation of duties through Slack: the requester does not sign the hand-off they asked for
where the policy forbids it; the ML architect lead signs that role instead, and every surface
says so (the form before submit, the card, the refusal, history)."""

from __future__ import annotations

from sqlalchemy import select

from models.audit import AuditEvent
from models.enums import HandoffStatus, Role, Stage
from models.handoff import Handoff, SignOff
from models.policy import DEFAULT_POLICY, parse_policy
from models.policy_versions import rules_of
from models.sentences import Names, sentence
from tests.slackbot.conftest import ADMIN
from tests.slackbot.flow import (
    PACKETS,
    approve_all,
    buttons,
    open_form,
    request_handoff,
    text_of,
)


def _names(handoff_id: int) -> Names:
    return Names(handoffs={handoff_id: "develop → deploy"})


def _handoff(db) -> Handoff:
    with db.session() as s:
        return s.scalars(select(Handoff).order_by(Handoff.id.desc())).first()


def _signoffs(db, handoff_id: int) -> dict[Role, SignOff]:
    with db.session() as s:
        rows = s.scalars(select(SignOff).where(SignOff.handoff_id == handoff_id))
        return {row.role: row for row in rows}


def _to_develop(bot, db, seeded) -> None:
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    approve_all(bot, _handoff(db).id, [seeded.domain, seeded.architect])


def test_the_form_says_who_signs_for_the_requesters_own_role(bot, slack, db, seeded):
    _to_develop(bot, db, seeded)
    form = open_form(bot, seeded.ds, seeded.key)
    notes = [b for b in form["blocks"] if b["type"] == "context"]
    said = text_of({"blocks": notes})
    assert "You lead Data scientist" in said
    assert "self sign-off is not allowed on develop → deploy" in said
    assert f"<@{seeded.architect}> (ML architect lead) signs for Data scientist" in said


def test_requester_is_refused_and_the_architect_signs_for_them(bot, slack, db, seeded):
    _to_develop(bot, db, seeded)
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["deploy"])
    handoff = _handoff(db)
    assert handoff.policy_snapshot["self_signoff"] == "forbidden"
    card = text_of(slack.last_message(seeded.channel))
    assert f"pending, <@{seeded.architect}> for <@{seeded.ds}> (who requested it)" in card
    asked = [m for m in slack.messages(seeded.architect) if "develop → deploy" in text_of(m)]
    assert asked and buttons(asked[-1]) == ["Approve", "Request changes", "Reject"]

    assert bot.click("handoff.approve", str(handoff.id), user=seeded.ds).status_code == 200
    answer = slack.wait_for(lambda: slack.responses())[-1]
    assert answer["response_type"] == "ephemeral"
    assert "you cannot sign it off as Data scientist lead" in answer["text"]
    assert "ML architect lead signs for Data scientist instead" in answer["text"]
    assert _signoffs(db, handoff.id) == {}
    with db.session() as s:
        refused = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "refused.handoff.approve")
        ).one()
        assert refused.actor == seeded.ds

    approve_all(bot, handoff.id, [seeded.architect, seeded.domain])
    signoff = _signoffs(db, handoff.id)[Role.DATA_SCIENTIST]
    assert (signoff.user_id, signoff.on_behalf_of, signoff.standing_in) == (
        seeded.architect,
        seeded.ds,
        "requester",
    )
    assert _handoff(db).status == HandoffStatus.APPROVED
    cards = [text_of(m) for m in slack.messages(seeded.channel) if "Hand-off ·" in text_of(m)]
    assert any(
        f"approved by <@{seeded.architect}> for <@{seeded.ds}> (who requested it)" in c
        for c in cards
    )
    with db.session() as s:
        event = s.scalars(
            select(AuditEvent)
            .where(AuditEvent.action == "signoff.approved", AuditEvent.actor == seeded.architect)
            .order_by(AuditEvent.id.desc())
        ).first()
    told = sentence(event.action, event.actor, event.detail, seeded.key, _names(handoff.id))
    assert told == (
        f"{seeded.architect} approved develop → deploy (round 1) as Data scientist for "
        f"{seeded.ds}, who requested it"
    )


def test_self_signoff_stays_allowed_where_the_policy_allows_it(bot, slack, db, seeded):
    request_handoff(bot, seeded.domain, seeded.key, PACKETS["develop"])  # domain expert asks
    handoff = _handoff(db)
    assert handoff.policy_snapshot["self_signoff"] == "allowed"
    approve_all(bot, handoff.id, [seeded.domain, seeded.architect])
    assert _signoffs(db, handoff.id)[Role.DOMAIN_EXPERT].on_behalf_of is None
    assert _handoff(db).status == HandoffStatus.APPROVED


def test_the_rules_the_handoff_opened_under_decide_not_todays_policy(bot, slack, db, seeded):
    _to_develop(bot, db, seeded)
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["deploy"])
    handoff = _handoff(db)
    allowed = DEFAULT_POLICY.model_copy(
        update={
            "transitions": tuple(
                t.model_copy(update={"self_signoff": "allowed"}) for t in DEFAULT_POLICY.transitions
            )
        }
    )
    bot.baton.rt.policy = allowed  # the operator relaxed the rule after the request
    bot.click("handoff.approve", str(handoff.id), user=seeded.ds)
    answer = slack.wait_for(lambda: slack.responses())[-1]
    assert "you cannot sign it off" in answer["text"]
    assert rules_of(handoff.policy_snapshot).self_signoff == "forbidden"


def test_an_admin_decision_is_marked_as_one(bot, slack, db, seeded):
    _to_develop(bot, db, seeded)
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["deploy"])
    handoff = _handoff(db)
    approve_all(bot, handoff.id, [ADMIN])
    assert all(row.as_admin for row in _signoffs(db, handoff.id).values())
    cards = [text_of(m) for m in slack.messages(seeded.channel) if "Hand-off ·" in text_of(m)]
    assert any(f"approved by <@{ADMIN}> (admin)" in c for c in cards)
    assert _handoff(db).to_stage == Stage.DEPLOY


def test_policy_files_with_and_without_the_setting_load():
    base = """
transitions:
  - from: develop
    to: deploy
    signoff: [data_scientist]
    receivers: [software_developer]
    fields: [{key: model_name, label: Model name}]
    sla_hours: 24
"""
    assert parse_policy(base).transitions[0].self_signoff == "forbidden"  # built-in default
    relaxed = parse_policy(base + "    self_signoff: allowed\n")
    assert relaxed.transitions[0].requester_may_sign
    other = base.replace("from: develop", "from: manage").replace("to: deploy", "to: develop")
    assert parse_policy(other).transitions[0].self_signoff == "allowed"
    try:
        parse_policy(base + "    self_signoff: sometimes\n")
    except ValueError as exc:
        assert "transitions.0.self_signoff" in str(exc) and "line 9" in str(exc)
    else:
        raise AssertionError("an unknown self_signoff value must be refused")
