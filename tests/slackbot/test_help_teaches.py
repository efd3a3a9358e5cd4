"""Help that teaches: roles and their short names, the meant command's usage, did-you-mean
for keys, and errors that quote people and channels the way the user saw them."""

from __future__ import annotations

from bot.blocks.text import escape
from handlers.commands_spec import usage_for
from models.enums import ROLE_ALIASES, Role
from tests.slackbot.flow import text_of


def _said(bot, text: str, user: str, **kw) -> str:
    return text_of(bot.reply(text, user=user, **kw))


def test_help_role_lists_every_role_with_its_key_and_short_names(bot, slack):
    said = _said(bot, "help role", "UANY")
    for role in Role:
        also = ", ".join(f"`{a}`" for a in ROLE_ALIASES[role])
        assert f"`{role.value}`  *{escape(role.label)}* · also {also}" in said
    assert "`biz` is the domain expert (business translator), not the business manager" in said
    assert f"`{escape(usage_for('role assign'))}`" in said
    assert "`domain_expert`  *Domain expert / business translator* · also `domain`, `biz`" in said


def test_full_help_points_at_the_roles(bot, slack):
    said = _said(bot, "help", "UANY")
    assert "Roles and their short names: `/mlops help role`" in said
    assert "`data_scientist`" not in said  # the list itself is for `help role`


def test_a_mistyped_key_gets_a_did_you_mean(bot, slack, seeded):
    said = _said(bot, "status churn-modle", "UANY", channel="CELSEWHERE")
    assert "No project 'churn-modle' in this workspace. Did you mean 'churn-model'?" in said


def test_a_person_where_the_role_goes_is_quoted_as_they_saw_it(bot, slack, db, seeded):
    before = db.dump()
    said = _said(bot, "role assign churn-model <@UDANA|dana> ds", seeded.creator)
    assert "'@dana' is a person, but the role goes here" in said
    assert "UDANA" not in said and "&lt;@" not in said
    assert db.dump() == before


def test_a_member_added_without_lead_is_told_who_leads(bot, slack, seeded):
    said = _said(bot, "role assign churn-model ds <@UNEW|newbie>", seeded.creator)
    assert (
        f"<@UNEW> added as member; the lead is still <@{seeded.ds}> "
        "(add `lead` to make them lead)." in said
    )
    said = _said(bot, "role assign churn-model analyst <@UANA>", seeded.creator)
    assert "<@UANA> added as member; the role has no lead yet (add `lead` to make" in said
    said = _said(bot, "role assign churn-model ds <@UNEW2> lead", seeded.creator)
    assert "added as member" not in said and "<@UNEW2> (lead)" in said
