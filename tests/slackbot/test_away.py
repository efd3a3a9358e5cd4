"""Away and delegation through Slack: an absence re-routes pending sign-offs to the delegate
(or the ML architect lead), the delegate's decision reads "Sam for Lena (away)" on the card and
in history, and `back` hands the sign-off back."""

from __future__ import annotations

from sqlalchemy import select

from models.audit import AuditEvent
from models.enums import HandoffStatus, Role, Stage
from models.handoff import Handoff, SignOff
from models.policy import DEFAULT_POLICY
from models.sentences import Names, sentence
from models.signers import signer_for
from tests.slackbot.flow import PACKETS, approve_all, buttons, request_handoff, text_of

SAM = "USAM"


def _handoff(db) -> Handoff:
    with db.session() as s:
        return s.scalars(select(Handoff).order_by(Handoff.id.desc())).first()


def _cards(slack, where: str) -> list[str]:
    return [text_of(m) for m in slack.messages(where) if "Hand-off ·" in text_of(m)]


def _said(answer) -> str:
    return text_of(answer) if isinstance(answer, dict) else str(answer)


def test_a_delegate_signs_for_the_lead_who_is_away(bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    handoff = _handoff(db)
    said = _said(
        bot.reply(f"away until 2026-12-20 delegate <@{SAM}|sam> holiday", user=seeded.domain)
    )
    assert "away until 2026-12-20" in said and "1 pending hand-off(s) re-routed" in said
    bot.deliver()
    (dm,) = [m for m in slack.messages(SAM) if "Hand-off ·" in text_of(m)]
    assert buttons(dm) == ["Approve", "Request changes", "Reject"]
    line = f"pending, <@{SAM}> for <@{seeded.domain}> (away)"
    assert all(line in card for card in _cards(slack, seeded.channel))

    bot.click("handoff.approve", str(handoff.id), user=seeded.domain)
    answer = slack.wait_for(lambda: slack.responses())[-1]
    assert "You are marked away" in answer["text"]

    approve_all(bot, handoff.id, [SAM, seeded.architect])
    assert _handoff(db).status == HandoffStatus.APPROVED
    with db.session() as s:
        row = s.scalars(select(SignOff).where(SignOff.role == Role.DOMAIN_EXPERT)).one()
        event = s.scalars(
            select(AuditEvent).where(
                AuditEvent.action == "signoff.approved", AuditEvent.actor == SAM
            )
        ).one()
    assert (row.user_id, row.on_behalf_of, row.standing_in) == (SAM, seeded.domain, "away")
    assert any(
        f"approved by <@{SAM}> for <@{seeded.domain}> (away)" in c
        for c in _cards(slack, seeded.channel)
    )
    names = Names({SAM: "Sam", seeded.domain: "Lena"}, {handoff.id: "manage → develop"})
    assert sentence(event.action, event.actor, event.detail, seeded.key, names) == (
        "Sam approved manage → develop (round 1) as Domain expert / business translator for "
        "Lena, who is away"
    )


def test_without_a_delegate_the_architect_signs_and_back_hands_it_back(bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    handoff = _handoff(db)
    bot.reply("away until 2026-12-20", user=seeded.domain)
    bot.deliver()
    line = f"pending, <@{seeded.architect}> for <@{seeded.domain}> (away)"
    assert all(line in card for card in _cards(slack, seeded.channel))

    dms_before = len(_cards(slack, seeded.domain))
    assert "1 pending hand-off(s) wait on you again" in _said(bot.reply("back", user=seeded.domain))
    bot.deliver()
    assert len(_cards(slack, seeded.domain)) == dms_before + 1  # the card, handed back
    assert all(
        f"pending, <@{seeded.domain}>\n" in card + "\n" for card in _cards(slack, seeded.channel)
    )
    approve_all(bot, handoff.id, [seeded.domain, seeded.architect])
    assert _handoff(db).status == HandoffStatus.APPROVED
    with db.session() as s:
        actions = s.scalars(
            select(AuditEvent.action)
            .where(AuditEvent.action.like("absence.%"))
            .order_by(AuditEvent.id)
        ).all()
    assert actions == ["absence.started", "absence.ended"]


def test_bad_absences_are_refused_and_change_nothing(bot, slack, db, seeded):
    assert "is not a date" in _said(bot.reply("away until someday", user=seeded.domain))
    assert "has passed" in _said(bot.reply("away until 2020-01-01", user=seeded.domain))
    assert "not away" in _said(bot.reply("back", user=seeded.domain))
    said = _said(
        bot.reply(f"away until 2026-12-20 delegate <@{seeded.domain}>", user=seeded.domain)
    )
    assert "someone else" in said


def test_a_delegate_never_signs_twice_for_one_handoff():
    rules = DEFAULT_POLICY.transition(Stage.DEPLOY)
    leads = {
        Role.SOFTWARE_DEVELOPER: "USWE",
        Role.DEVOPS_ENGINEER: "UOPS",
        Role.ML_ARCHITECT: "UARCH",
    }
    required = [Role.SOFTWARE_DEVELOPER, Role.DEVOPS_ENGINEER, Role.ML_ARCHITECT]
    # the software developer is away and names the DevOps lead, who signs for DevOps already
    signer = signer_for(Role.SOFTWARE_DEVELOPER, leads, "UDS", rules, {"USWE": "UOPS"}, required)
    assert (signer.user, signer.standing_in) == ("UARCH", "away")
    # a delegate who signs nothing else on it does sign
    signer = signer_for(Role.SOFTWARE_DEVELOPER, leads, "UDS", rules, {"USWE": SAM}, required)
    assert (signer.user, signer.lead) == (SAM, "USWE")
