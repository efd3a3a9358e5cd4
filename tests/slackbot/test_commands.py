"""Every subcommand through the real endpoint: what the user reads back, and what changed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.blocks.text import escape
from handlers.commands_spec import USAGE, help_entries, usage_for
from models.audit import AuditEvent
from models.enums import Role, Stage
from models.project import Project
from models.roster import RoleAssignment
from tests.slackbot.flow import PACKETS, approve_all, request_handoff, text_of

AUDIT_TABLES = ("audit_events", "audit_chain_heads")  # a refusal is audited


def _said(reply: dict) -> str:
    return text_of(reply)


def test_help_lists_every_command(bot, slack):
    said = _said(bot.reply("help", user="UANY"))
    entries = help_entries()
    assert len(entries) == len(USAGE)  # one help line per subcommand the parser knows
    for usage, description in entries:
        assert f"`{escape(usage)}`  {escape(description)}" in said
    listed = [line for line in said.splitlines() if line.startswith("`/mlops ")]
    assert len(listed) == len(entries)


def test_empty_text_is_help(bot, slack):
    assert "/mlops project create" in _said(bot.reply("", user="UANY"))


def test_unknown_command_suggests_and_shows_usage(bot, slack, db):
    before = db.dump()
    reply = bot.reply("stauts churn-model", user="UANY")
    assert reply["response_type"] == "ephemeral"
    said = _said(reply)
    assert ":warning: 'stauts' is not a /mlops command; did you mean 'status'?" in said
    assert said.endswith(f"Usage: `{escape(usage_for('status'))}`")  # the meant command's own
    assert db.dump() == before


def test_project_create_announces_in_channel(bot, slack, db):
    reply = bot.reply("project create fraud-v2 Fraud detection v2", user="UALICE", channel="CFRAUD")
    assert reply["response_type"] == "in_channel"
    assert "Fraud detection v2" in _said(reply)
    # mrkdwn reads <role> as a link: the placeholder of the hint must arrive escaped.
    assert "role assign fraud-v2 &lt;role&gt; @user lead" in _said(reply)
    with db.session() as s:
        project = s.scalars(select(Project)).one()
    assert (project.key, project.channel_id, project.created_by, project.stage) == (
        "fraud-v2",
        "CFRAUD",
        "UALICE",
        Stage.MANAGE,
    )


def test_bad_key_changes_nothing(bot, slack, db):
    before = db.dump()
    reply = bot.reply("project create Fraud_V2", user="UALICE")
    assert "not a valid project key" in _said(reply)
    assert "Usage:" in _said(reply)
    assert db.dump() == before


def test_duplicate_project_is_refused(bot, slack, seeded):
    assert "already exists" in _said(bot.reply("project create churn-model", user="UALICE"))


def test_project_list_and_archive(bot, slack, db, seeded):
    assert "churn-model" in _said(bot.reply("project list", user="UANY"))
    refused = bot.reply("project archive churn-model", user=seeded.intern)
    assert "Only the creator" in _said(refused)
    assert "archived" in _said(bot.reply("project archive churn-model", user=seeded.creator))
    assert "No projects yet" in _said(bot.reply("project list", user="UANY"))


def test_status_card_shows_stage_owners_and_open_handoff(bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    approve_all(bot, _handoff_id(db), [seeded.domain])
    said = _said(bot.reply("status churn-model", user="UANY"))
    assert "Stage *manage*" in said
    assert f"<@{seeded.architect}> (lead)" in said
    assert "manage → develop" in said
    assert f"approved by <@{seeded.domain}>" in said


def test_role_assign_with_alias_and_both_mention_forms(bot, slack, db, seeded):
    bot.reply("role assign churn-model ds <@UNEWDS|newbie> lead", user=seeded.creator)
    bot.reply("role assign churn-model analyst <@UANALYST>", user=seeded.creator)
    with db.session() as s:
        active = {
            (a.role, a.user_id, a.is_lead)
            for a in s.scalars(select(RoleAssignment).where(RoleAssignment.removed_at.is_(None)))
        }
    assert (Role.DATA_SCIENTIST, "UNEWDS", True) in active
    assert (Role.DATA_SCIENTIST, seeded.ds, False) in active, "the old lead stays a member"
    assert (Role.DATA_ANALYST, "UANALYST", False) in active
    bot.deliver()
    assert "lead Data scientist" in text_of(slack.last_message("UNEWDS"))


def test_role_assign_refusals(bot, slack, db, seeded):
    before = db.dump()
    assert "unknown role" in _said(
        bot.reply("role assign churn-model wizard <@UXY>", user=seeded.creator)
    )
    assert (
        "mention"
        in _said(bot.reply("role assign churn-model ds @bob", user=seeded.creator)).lower()
    )
    said = _said(bot.reply("role assign churn-model ds <@UXY>", user=seeded.intern))
    assert "Only the creator" in said
    after = db.dump()
    assert {k: v for k, v in after.items() if k not in AUDIT_TABLES} == {
        k: v for k, v in before.items() if k not in AUDIT_TABLES
    }
    with db.session() as s:
        refusals = s.scalars(
            select(AuditEvent.action).where(AuditEvent.action.like("refused.%"))
        ).all()
    assert refusals == ["refused.role.assign"]


def test_role_remove_and_roles(bot, slack, db, seeded):
    said = _said(
        bot.reply(f"role remove churn-model analyst <@{seeded.intern}>", user=seeded.creator)
    )
    assert f"<@{seeded.intern}>" not in said
    said = _said(
        bot.reply(f"role remove churn-model analyst <@{seeded.intern}>", user=seeded.creator)
    )
    assert "does not hold" in said
    roles = _said(bot.reply("roles churn-model", user="UANY"))
    assert f"<@{seeded.ds}> (lead)" in roles and "ML architect" in roles


def test_handoffs_and_signoffs(bot, slack, db, seeded):
    assert "No open hand-offs" in _said(bot.reply("handoffs", user="UANY"))
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    said = _said(bot.reply("handoffs churn-model", user="UANY"))
    assert "manage → develop" in said and f"<@{seeded.domain}>" in said
    mine = bot.reply("signoffs", user=seeded.domain)
    assert "Waiting on you (1)" in _said(mine)
    assert "Nothing waits" in _said(bot.reply("signoffs", user=seeded.intern))


def test_handoff_cancel_by_requester_only(bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    assert "Only the person who requested" in _said(
        bot.reply("handoff cancel churn-model", user=seeded.domain)
    )
    assert "Cancelled" in _said(bot.reply("handoff cancel churn-model", user=seeded.ds))
    assert "no open hand-off" in _said(bot.reply("handoff cancel churn-model", user=seeded.ds))


def test_handoff_refusals_answer_without_opening_a_form(bot, slack, db, seeded):
    said = _said(bot.reply("handoff churn-model deploy", user=seeded.ds))
    assert "From manage it can go to: develop" in said
    said = _said(bot.reply("handoff churn-model", user="UOUTSIDER"))
    assert "Only members" in said
    assert slack.calls_to("views.open") == []


def test_history_and_lineage(bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    approve_all(bot, _handoff_id(db), [seeded.domain, seeded.architect])
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["deploy"])
    approve_all(bot, _handoff_id(db), [seeded.architect, seeded.domain])  # for ds, the requester
    history = _said(bot.answer("history churn-model 5", user="UANY"))
    assert history.count("\n`") + 1 >= 5 and "churn-model moved from develop to deploy" in history
    lineage = _said(bot.reply("lineage churn-model", user="UANY"))
    assert "churn-xgb" in lineage and "customers@2026-02-28" in lineage
    assert "s3://lake/customers/2026-02-28" in lineage


def test_unknown_project_is_named(bot, slack):
    assert "No project 'nope'" in _said(bot.reply("status nope", user="UANY"))


def _handoff_id(db) -> int:
    from models.handoff import Handoff

    with db.session() as s:
        return s.scalars(select(Handoff.id).order_by(Handoff.id.desc())).first()


BAD_ARGUMENTS = [
    ("roles", "missing the project key", "roles <key>"),
    ("roles Churn_Model", "'Churn_Model' is not a valid project key", "roles <key>"),
    ("history churn-model 0", "history shows 1 to 200 events, not 0", "history <key> [N]"),
    ("history churn-model lots", "'lots' is not a whole number of events", "history <key> [N]"),
    ("lineage", "missing the project key", "lineage <key>"),
    ("lineage churn-model extra", "unexpected extra arguments: extra", "lineage <key>"),
    ("handoffs NOPE!", "'NOPE!' is not a valid project key", "handoffs [key]"),
    ("signoffs churn-model", "unexpected extra arguments: churn-model", "signoffs"),
    ("monitor list", "missing the project key", "monitor list <key>"),
    ("monitor add churn-model auc sideways 1", "sideways", "monitor add <key>"),
    ("monitor add churn-model auc min", "missing the threshold", "monitor add <key>"),
    ("metric churn-model auc high", "'high' is not a number", "metric <key> <metric> <value>"),
]


@pytest.mark.parametrize(
    ("text", "reason", "usage"), BAD_ARGUMENTS, ids=[b[0] for b in BAD_ARGUMENTS]
)
def test_bad_arguments_answer_the_reason_and_usage_and_change_nothing(
    bot, slack, db, seeded, text, reason, usage
):
    before = db.dump()
    # Typed where no project lives: in a project's own channel the key may be left out.
    reply = bot.reply(text, user=seeded.ds, channel="CNOHOME")
    assert reply["response_type"] == "ephemeral"
    said = _said(reply)
    assert escape(reason) in said and f"Usage: `/mlops {escape(usage)}" in said, said
    assert db.dump() == before
