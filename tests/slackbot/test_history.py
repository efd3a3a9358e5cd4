"""`/mlops history` reads as sentences with people's names and role labels, refusals included,
and the audit export carries the same refusals: through signed HTTP against the fake Slack."""

from __future__ import annotations

import json

from sqlalchemy import select

from models.audit import AuditEvent
from models.enums import Role
from models.handoff import Handoff
from models.project import Project
from models.services import audit_verify, people
from tests.slackbot.api_client import Api, make_token
from tests.slackbot.flow import PACKETS, named_history, request_handoff, text_of, wait_for_modal
from tests.slackbot.harness import HOME
from tests.slackbot.test_project_setup import picked_state

NAMES = {
    "UCREATOR": "Grace Kim",
    "UDS": "Dana Scully",
    "UDOMAIN": "Mei Tanaka",
    "UINTERN": "Mallory",
}


def _history(bot, key: str = "churn-model", user: str = "UANY") -> str:
    if not bot.fake.users:
        return text_of(bot.answer(f"history {key} 50", user=user))
    return named_history(bot, key, user)


def _refused_click(bot, slack, db, user: str) -> int:
    with db.session() as s:
        handoff_id = s.scalars(select(Handoff.id)).one()
    answered = len(slack.responses())
    assert bot.click("handoff.approve", str(handoff_id), user=user).status_code == 200
    slack.wait_for(lambda: len(slack.responses()) > answered)  # told after it was audited
    return handoff_id


def test_history_names_people_and_roles_in_sentences(bot, slack, seeded):
    slack.users.update(NAMES)

    said = _history(bot)

    assert "Grace Kim created project churn-model “Churn model”" in said
    assert f"Grace Kim made Dana Scully {Role.DATA_SCIENTIST.label} lead" in said
    assert "Grace Kim added Mallory to " in said
    assert "role.assigned" not in said and "user=" not in said and "UCREATOR" not in said


def test_a_refused_click_is_in_the_history_and_the_export_of_its_project(bot, slack, db, seeded):
    slack.users.update(NAMES)
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])

    _refused_click(bot, slack, db, seeded.intern)

    said = _history(bot)
    assert ":no_entry: Mallory tried to approve manage → develop — refused: Only the lead" in said
    with db.session() as s:
        project_id = s.scalars(select(Project.id).where(Project.key == seeded.key)).one()
        refusal = s.scalars(select(AuditEvent).where(AuditEvent.action.like("refused.%"))).one()
        assert (refusal.project_id, refusal.project_key) == (project_id, seeded.key)
        assert audit_verify.verify(s, HOME).ok  # the project is part of the hashed event
    exported = json.loads(
        Api(bot.url, make_token(db)).get(f"/api/v1/projects/{seeded.key}/audit").text
    )
    (row,) = [e for e in exported if e["action"] == "refused.handoff.approve"]
    assert row["actor_name"] == "Mallory"
    assert row["sentence"].startswith("Mallory tried to approve manage → develop — refused:")


def test_a_refused_command_is_recorded_against_the_project_it_names(bot, slack, db, seeded):
    slack.users.update(NAMES)

    refused = text_of(bot.reply(f"project archive {seeded.key}", user=seeded.intern))

    assert "Only the creator" in refused
    said = _history(bot)
    assert f"Mallory tried to archive {seeded.key} — refused: Only the creator" in said


def test_history_escapes_what_people_typed(bot, slack, db, seeded):
    slack.users.update({**NAMES, "UCREATOR": "<!channel> *Grace*"})
    bot.reply("project create leaky <!here> & <@UDS> co", user=seeded.creator, channel="CLEAK")

    answered = len(slack.responses())
    bot.reply("history leaky", user="UANY")
    slack.wait_for(lambda: len(slack.responses()) > answered)
    named = slack.responses()[-1]  # the answer, with the name Slack gave
    again = bot.reply("history leaky", user="UANY")  # every name cached: on the ack

    for reply in (named, again):
        shown = json.dumps(reply)
        assert "<!channel>" not in shown and "<!here>" not in shown and "<@UDS>" not in shown
        assert "&lt;!here&gt; &amp; &lt;@UDS&gt; co" in text_of(reply)
        assert "&lt;!channel&gt; *Grace* created project leaky" in text_of(reply)


def test_slack_not_knowing_a_person_leaves_their_id(bot, slack, seeded):
    said = _history(bot)  # no names in the fake Slack: users.info answers user_not_found

    assert f"UCREATOR made UDS {Role.DATA_SCIENTIST.label} lead" in said
    assert len(slack.calls_to("users.info")) >= 4  # looked up before the one answer
    assert len(slack.responses()) == 1


def test_history_acks_before_any_users_info_call_and_answers_once_with_names(
    bot, slack, db, seeded
):
    slack.users.update(NAMES)
    with db.session() as s:
        people.remember(s, HOME, "UCREATOR", "Grace Kim")  # cached: needs no lookup
    release = slack.hold("users.info")  # Slack would take its time answering

    ack = bot.reply("history churn-model 50", user="UANY")

    assert not text_of(ack)  # acked (empty) while users.info is held
    assert slack.responses() == []  # no answer with raw ids in the meantime
    release.set()
    slack.wait_for(lambda: slack.responses())
    (answer,) = slack.responses()
    said = text_of(answer)
    assert "Grace Kim created project churn-model" in said
    assert f"Grace Kim made Dana Scully {Role.DATA_SCIENTIST.label} lead" in said
    looked_up = {c.params["user"] for c in slack.calls_to("users.info")}
    assert "UCREATOR" not in looked_up and {"UDS", "UINTERN"} <= looked_up
    assert len(slack.calls_to("users.info")) == len(looked_up)  # one call per unknown person

    # Asked again with everyone Slack knows cached, and no one Slack does not: the answer
    # rides on the acknowledgement, with no Slack call and no second answer.
    with db.session() as s:
        for user in looked_up - set(NAMES):
            people.remember(s, HOME, user, user)
    calls = len(slack.calls_to("users.info"))
    again = text_of(bot.reply("history churn-model 50", user="UANY"))
    assert f"Grace Kim made Dana Scully {Role.DATA_SCIENTIST.label} lead" in again
    assert len(slack.calls_to("users.info")) == calls and len(slack.responses()) == 1


def test_a_lead_handing_on_or_stood_down_reads_as_what_happened(bot, slack, db, seeded):
    slack.users.update({**NAMES, seeded.architect: "Mia Lund", "UNEWARCH": "Sam Ng"})
    slack.users[seeded.de] = "Ana Souza"
    # The ML architect lead hands their own lead on, by the typed command.
    command = f"role assign {seeded.key} ml_architect <@UNEWARCH> lead"
    assert "<@UNEWARCH> (lead), <@UARCH>" in text_of(bot.reply(command, user=seeded.architect))
    # The creator leaves the (optional) data engineer lead empty in Edit roles: no lead now.
    opened = len(slack.calls_to("views.open"))
    bot.click("home.edit_roles", seeded.key, user=seeded.creator, home=True)
    modal = wait_for_modal(bot, opened)
    leads = {
        Role.DATA_SCIENTIST: seeded.ds,
        Role.DOMAIN_EXPERT: seeded.domain,
        Role.ML_ARCHITECT: "UNEWARCH",
        Role.SOFTWARE_DEVELOPER: seeded.swe,
        Role.DEVOPS_ENGINEER: seeded.devops,
    }
    members = {
        Role.DATA_ENGINEER: [seeded.de],
        Role.DATA_ANALYST: [seeded.intern],
        Role.ML_ARCHITECT: [seeded.architect],
    }
    response = bot.submit_state(modal, picked_state(leads, members), user=seeded.creator)
    assert response.status_code == 200 and not response.text, response.text

    said = named_history(bot, seeded.key)

    assert "Mia Lund stepped down as ML architect lead; Sam Ng leads it now" in said
    assert "Grace Kim stood Ana Souza down as Data engineer lead; no lead now" in said
    assert "replaced" not in said
