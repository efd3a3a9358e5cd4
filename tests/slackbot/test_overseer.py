"""`/mlops overseer`: the named person who may stop a project at any time, through signed HTTP
against the fake Slack — named, shown on the status card, sending the model back for
retraining and archiving with a hand-off open, each act in the history as an oversight action."""

from __future__ import annotations

from sqlalchemy import select

from models.enums import Decision, HandoffStatus, Stage
from models.handoff import Handoff
from models.policy import DEFAULT_POLICY
from models.project import Project
from models.schemas.base import Actor
from models.services import decisions, handoffs
from tests.slackbot.flow import PACKETS, named_history, request_handoff, text_of
from tests.slackbot.harness import HOME

GRACE = "UGRACE"  # holds no role on churn-model
NAMES = {GRACE: "Grace Kim", "UCREATOR": "Cora Creator", "UINTERN": "Mallory"}


def _to_monitor(db, seeded) -> None:
    """Through the services: each hand-off requested by the data scientist, approved by every
    role's signer (its lead, or the ML architect lead where the requester may not sign)."""
    for packet in ("develop", "deploy", "monitor"):
        with db.session() as s:
            view = handoffs.submit_packet(
                s, Actor(HOME, seeded.ds), seeded.key, None, PACKETS[packet], DEFAULT_POLICY
            )
        for line in view.checklist:
            with db.session() as s:
                assert line.signer is not None
                decisions.decide(
                    s, Actor(HOME, line.signer), view.id, Decision.APPROVED, DEFAULT_POLICY
                )


def _project(db) -> Project:
    with db.session() as s:
        return s.scalars(select(Project).where(Project.key == "churn-model")).one()


def test_the_overseer_is_named_and_shown_on_the_status_card(bot, slack, db, seeded):
    slack.users.update(NAMES)

    named = bot.reply(f"overseer {seeded.key} <@{GRACE}|grace>", user=seeded.creator)

    assert named["response_type"] == "in_channel"
    assert f"<@{GRACE}> is the overseer of *Churn model*" in text_of(named)
    assert f"overseer <@{GRACE}>" in text_of(bot.reply(f"status {seeded.key}", user="UANY"))
    said = named_history(bot, seeded.key)
    assert f"Cora Creator named Grace Kim overseer of {seeded.key}" in said

    bot.deliver()
    told = text_of(slack.last_message(GRACE))  # a DM: what the overseer may now do
    assert f"<@{seeded.creator}> named you the overseer of *{seeded.key}*" in told
    assert f"`/mlops handoff {seeded.key} develop`" in told and "monitor → develop" in told
    assert f"`/mlops project archive {seeded.key}`" in told

    cleared = bot.reply(f"overseer {seeded.key} none", user=seeded.creator)
    assert "has no overseer now" in text_of(cleared)
    assert bot.deliver() == 0  # the one cleared gets no DM
    assert _project(db).overseer is None
    assert "overseer" not in text_of(bot.reply(f"status {seeded.key}", user="UANY"))


def test_naming_an_overseer_is_refused_to_others_and_the_refusal_is_in_the_history(
    bot, slack, db, seeded
):
    slack.users.update(NAMES)

    refused = text_of(bot.reply(f"overseer {seeded.key} <@{seeded.intern}>", user=seeded.intern))

    assert "can name its overseer" in refused and _project(db).overseer is None
    said = named_history(bot, seeded.key)
    assert f"Mallory tried to name the overseer of {seeded.key} — refused: Only the creator" in said


def test_the_overseer_without_a_role_sends_the_model_back_for_retraining(bot, slack, db, seeded):
    slack.users.update(NAMES)
    _to_monitor(db, seeded)
    bot.reply(f"overseer {seeded.key} <@{GRACE}>", user=seeded.creator)

    response = request_handoff(bot, GRACE, seeded.key, PACKETS["develop-again"])

    assert response.status_code == 200
    with db.session() as s:
        handoff = s.scalars(select(Handoff).order_by(Handoff.id.desc())).first()
        assert (handoff.from_stage, handoff.to_stage, handoff.requested_by) == (
            Stage.MONITOR,
            Stage.DEVELOP,
            GRACE,
        )
    said = named_history(bot, seeded.key)
    assert f"Grace Kim, overseer of {seeded.key}, sent it back: monitor → develop" in said


def test_the_overseer_stops_the_project_with_a_hand_off_open(bot, slack, db, seeded):
    slack.users.update(NAMES)
    bot.reply(f"overseer {seeded.key} <@{GRACE}>", user=seeded.creator)
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])

    stopped = bot.reply(f"project archive {seeded.key}", user=GRACE)

    assert "is archived" in text_of(stopped)
    assert _project(db).stage == Stage.ARCHIVED
    with db.session() as s:
        assert s.scalars(select(Handoff.status)).one() == HandoffStatus.CANCELLED
    said = named_history(bot, seeded.key)
    assert (
        f"Grace Kim, overseer of {seeded.key}, stopped it: cancelled manage → develop and "
        "archived it (it was in manage)"
    ) in said
