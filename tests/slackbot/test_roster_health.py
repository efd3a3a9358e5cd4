"""Roster health through Slack: a required role of the next hand-off with no lead is flagged
on the status card, App Home and the digest and refuses the hand-off before the form opens; the weekly
roster check DMs each project's creator and ML architect lead, once across replicas."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.scheduler import Scheduler, job_context
from jobs import digests_due
from models.audit import AuditEvent
from models.enums import Role
from models.handoff import Handoff
from models.schemas.base import Actor
from models.services import projects, roster, schedules
from tests.slackbot.flow import buttons, text_of, wait_for_modal
from tests.slackbot.harness import HOME

GAP = "*develop* needs a Domain expert / business translator lead"
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _fraud_without_domain_lead(db, seeded) -> str:
    """A second project whose next hand-off (manage → develop) lacks its domain expert."""
    creator = Actor(HOME, seeded.creator)
    with db.session() as s:
        projects.create_project(s, creator, "fraud", "Fraud model", "CFRAUD")
        roster.assign_role(s, creator, "fraud", Role.DATA_SCIENTIST, seeded.ds, lead=True)
        roster.assign_role(s, creator, "fraud", Role.ML_ARCHITECT, seeded.architect, lead=True)
    return "fraud"


def _said(answer) -> str:
    return text_of(answer) if isinstance(answer, dict) else str(answer)


def test_status_card_flags_the_vacant_role_of_the_next_handoff(bot, slack, db, seeded):
    key = _fraud_without_domain_lead(db, seeded)
    said = _said(bot.reply(f"status {key}", user=seeded.ds))
    assert GAP in said
    assert "role assign fraud domain_expert @user lead" in said
    assert GAP not in _said(bot.reply(f"status {seeded.key}", user=seeded.ds))  # fully staffed


def test_requesting_a_handoff_with_a_vacant_role_is_refused_before_the_form(bot, slack, db, seeded):
    key = _fraud_without_domain_lead(db, seeded)
    forms = len(slack.calls_to("views.open"))
    said = _said(bot.reply(f"handoff {key}", user=seeded.ds))
    assert "No lead for Domain expert / business translator on 'fraud'" in said
    assert "creator, its ML architect lead or a Baton admin can assign one" in said
    assert len(slack.calls_to("views.open")) == forms
    with db.session() as s:
        assert s.scalars(select(Handoff)).all() == []


def test_app_home_flags_the_gap_beside_the_project(bot, slack, db, seeded):
    _fraud_without_domain_lead(db, seeded)
    bot.event({"type": "app_home_opened", "user": seeded.ds, "tab": "home"}, event_id="EvG")
    home = text_of(slack.wait_for(lambda: slack.views("home"))[-1])
    assert "develop needs a Domain expert / business translator lead" in home


def test_weekly_roster_check_dms_managers_once_across_two_replicas(bot, slack, db, seeded):
    key = _fraud_without_domain_lead(db, seeded)
    slack.users.update({u: u.title() for u in (seeded.ds, seeded.architect, seeded.domain)})
    slack.user_fields[seeded.domain] = {"deleted": True}  # churn-model's domain lead left
    rt = bot.baton.rt

    def replica(name: str) -> Scheduler:
        return Scheduler(replace(job_context(rt), replica=name))

    a, b = replica("host-a:1"), replica("host-b:1")
    assert a.tick(MONDAY)["roster_check"] == 4  # creator + architect, of both projects
    assert b.tick(MONDAY + timedelta(minutes=1))["roster_check"] == 0
    assert a.tick(MONDAY + timedelta(days=2))["roster_check"] == 0  # same week
    bot.deliver()

    for person in (seeded.creator, seeded.architect):
        dms = [text_of(m) for m in slack.messages(person) if "roster check" in text_of(m)]
        assert len(dms) == 2, person
        fraud = next(d for d in dms if f"`{key}`" in d)
        assert GAP in fraud
        churn = next(d for d in dms if f"`{seeded.key}`" in d)
        assert f"<@{seeded.domain}>, Domain expert / business translator lead, has left" in churn
    assert not [m for m in slack.messages(seeded.domain) if "roster check" in text_of(m)]
    with db.session() as s:
        reported = s.scalars(
            select(AuditEvent.project_key).where(AuditEvent.action == "roster.gaps_reported")
        ).all()
    assert sorted(reported) == sorted([key, seeded.key])
    assert b.tick(MONDAY + timedelta(days=7))["roster_check"] == 4  # the next week


def _roster_dm(bot, slack, seeded, key: str) -> dict:
    """The weekly check's DM about `key`, to the project's creator."""
    assert Scheduler(job_context(bot.baton.rt)).tick(MONDAY)["roster_check"] > 0
    bot.deliver()
    return next(
        m
        for m in slack.messages(seeded.creator)
        if "roster check" in text_of(m) and f"`{key}`" in text_of(m)
    )


def test_the_roster_check_button_opens_the_edit_roles_modal(bot, slack, db, seeded):
    key = _fraud_without_domain_lead(db, seeded)
    dm = _roster_dm(bot, slack, seeded, key)
    assert buttons(dm) == ["Fix roster…"]

    opened = len(slack.calls_to("views.open"))
    click = bot.click("roster.edit_roles", key, user=seeded.creator, message=dm)
    assert click.status_code == 200
    modal = wait_for_modal(bot, opened)
    assert modal["title"]["text"] == "Edit roles" and modal["submit"]["text"] == "Save"
    assert key in modal["private_metadata"]
    blocks = {b.get("block_id"): b for b in modal["blocks"]}
    assert blocks["lead.ml_architect"]["element"]["initial_user"] == seeded.architect
    assert "initial_user" not in blocks["lead.domain_expert"]["element"]  # the vacancy to fill


def test_the_roster_check_button_refuses_who_may_not_edit_the_roster(bot, slack, db, seeded):
    key = _fraud_without_domain_lead(db, seeded)
    dm = _roster_dm(bot, slack, seeded, key)
    opened = len(slack.calls_to("views.open"))
    click = bot.click("roster.edit_roles", key, user=seeded.intern, message=dm)
    assert click.status_code == 200
    told = slack.wait_for(lambda: slack.responses())[-1]
    assert "can edit its roles" in told["text"]
    assert told["response_type"] == "ephemeral" and told["replace_original"] is False
    assert len(slack.calls_to("views.open")) == opened
    with db.session() as s:
        refused = s.scalars(
            select(AuditEvent.action).where(AuditEvent.action.like("refused.%"))
        ).all()
    assert refused == ["refused.project.edit_roles"]


def test_digest_flags_each_project_whose_next_handoff_lacks_a_lead(clock, bot, slack, db, seeded):
    """`/mlops digest now` and the scheduled digest both carry the line; a fully staffed
    project has none, and a gap alone keeps a scheduled digest from shrinking to one line."""
    creator = Actor(HOME, seeded.creator)
    with db.session() as s:  # beside churn-model (fully staffed), in its channel
        projects.create_project(s, creator, "fraud", "Fraud model", seeded.channel)
        roster.assign_role(s, creator, "fraud", Role.ML_ARCHITECT, seeded.architect, lead=True)
        schedules.set_schedule(
            s, creator, seeded.channel, "0 9 * * *", "UTC", clock.now() - timedelta(minutes=1)
        )
    ctx = job_context(bot.baton.rt)
    assert digests_due.run(ctx, clock.now()) == 1  # scheduled: nothing waits, yet a gap
    bot.reply("digest now", user=seeded.intern)
    bot.deliver()

    scheduled, asked = (text_of(m) for m in slack.messages(seeded.channel)[-2:])
    for said in (scheduled, asked):
        assert "Nothing new" not in said and "*Roster gaps (1)*" in said
        assert ":warning: `fraud` develop needs a Domain expert / business translator lead" in said
        assert "`churn-model` develop needs" not in said
    with db.session() as s:  # the lead assigned: the line goes, and a quiet digest is quiet
        roster.assign_role(s, creator, "fraud", Role.DOMAIN_EXPERT, seeded.domain, lead=True)
    bot.reply("digest now", user=seeded.intern)
    bot.deliver()
    assert "Roster gaps" not in text_of(slack.last_message(seeded.channel))
