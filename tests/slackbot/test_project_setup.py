"""The project set-up modal, through signed HTTP: opened three ways, one submit sets a project
up with every lead, edit roles writes only what changed, and bad input changes nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from bot.blocks import project_setup as setup_blocks
from bot.sandbox.seed import LEADS as NINE_LEADS
from models.audit import AuditEvent
from models.enums import Role
from models.project import Project
from models.roster import RoleAssignment
from tests.slackbot.flow import text_of, wait_for_modal

NEWCOMER = "UGRACE"  # the business manager; the sandbox's people lead the nine roles


def picked_state(
    leads: dict[Role, str],
    members: dict[Role, list[str]] | None = None,
    **fields: str,
) -> dict[str, Any]:
    """The view state Slack sends for the set-up modal with these pickers chosen."""
    state: dict[str, Any] = {}
    for block in ("key", "name"):
        if block in fields:
            state[block] = {"value": {"type": "plain_text_input", "value": fields[block]}}
    if "channel" in fields:
        channel = {"type": "conversations_select", "selected_conversation": fields["channel"]}
        state["channel"] = {"value": channel}
    for role in Role:
        lead = {"type": "users_select", "selected_user": leads.get(role)}
        others = {"type": "multi_users_select", "selected_users": (members or {}).get(role, [])}
        state[setup_blocks.lead_block(role)] = {"value": lead}
        state[setup_blocks.members_block(role)] = {"value": others}
    return state


def open_by_command(bot, user: str = NEWCOMER, channel: str = "CPRICING") -> dict[str, Any]:
    opened = len(bot.fake.calls_to("views.open"))
    assert bot.reply("project create", user=user, channel=channel) == {}
    return wait_for_modal(bot, opened)


def role_events(db) -> list[AuditEvent]:
    with db.session() as s:
        query = select(AuditEvent).where(AuditEvent.action.like("role.%")).order_by(AuditEvent.id)
        return list(s.scalars(query))  # in the order written: PostgreSQL keeps no other


def leads_of(db, key: str) -> dict[Role, str]:
    with db.session() as s:
        rows = s.scalars(
            select(RoleAssignment)
            .join(Project, Project.id == RoleAssignment.project_id)
            .where(Project.key == key, RoleAssignment.removed_at.is_(None))
        )
        return {a.role: a.user_id for a in rows if a.is_lead}


def test_project_create_without_a_key_opens_the_form_defaulting_to_this_channel(bot, db):
    modal = open_by_command(bot)
    assert modal["callback_id"] == setup_blocks.CALLBACK
    blocks = {b.get("block_id"): b for b in modal["blocks"]}
    channel = blocks["channel"]["element"]
    assert channel["type"] == "conversations_select"
    assert channel["initial_conversation"] == "CPRICING"
    assert channel["default_to_current_conversation"] is True
    assert blocks["key"]["optional"] is True and blocks["name"]["optional"] is False
    # Roles the default policy always needs a lead for are required; the others optional.
    assert blocks["lead.ml_architect"]["optional"] is False
    assert blocks["lead.compliance"]["optional"] is True
    assert blocks["members.data_scientist"]["element"]["type"] == "multi_users_select"
    assert "Legal / compliance lead" in text_of(modal)


def test_one_submit_creates_the_project_with_nine_leads(bot, slack, db):
    modal = open_by_command(bot)
    state = picked_state(
        NINE_LEADS,
        {Role.DATA_SCIENTIST: ["UPRIYA"]},
        name="Pricing engine",
        channel="CPRICING",
    )
    response = bot.submit_state(modal, state, user=NEWCOMER)
    assert response.status_code == 200 and not response.text, response.text
    with db.session() as s:
        project = s.scalars(select(Project)).one()
        assert (project.key, project.name, project.channel_id) == (
            "pricing-engine",
            "Pricing engine",
            "CPRICING",
        )
        assert project.created_by == NEWCOMER
    assert leads_of(db, "pricing-engine") == NINE_LEADS
    events = role_events(db)
    assert len(events) == 10  # nine leads and one member, one event each
    assert {e.detail["user"] for e in events if e.detail["lead"]} == set(NINE_LEADS.values())
    bot.deliver()
    dms = [m for m in slack.messages() if "pricing-engine" in text_of(m)]
    assert len(dms) == 10  # everyone given a role is told


def test_the_global_shortcut_and_the_home_button_open_the_same_form(bot, slack, db):
    opened = len(slack.calls_to("views.open"))
    assert bot.shortcut(setup_blocks.SHORTCUT, user=NEWCOMER).status_code == 200
    by_shortcut = wait_for_modal(bot, opened)
    bot.click("home.new_project", "", user=NEWCOMER, home=True)
    by_button = wait_for_modal(bot, opened + 1)
    assert by_shortcut["callback_id"] == by_button["callback_id"] == setup_blocks.CALLBACK
    # Opened from no conversation: the channel has to be picked.
    channel = next(b for b in by_button["blocks"] if b.get("block_id") == "channel")
    assert "initial_conversation" not in channel["element"]


def test_bad_or_taken_keys_are_shown_inline_and_change_nothing(bot, slack, db, seeded):
    modal = open_by_command(bot)
    for key, expected in (
        ("Churn_Model", "is not a valid project key"),
        (seeded.key, "already exists"),
    ):
        state = picked_state(NINE_LEADS, name="Churn again", key=key, channel="CPRICING")
        response = bot.submit_state(modal, state, user=NEWCOMER)
        answer = response.json()
        assert answer["response_action"] == "errors"
        assert expected in answer["errors"]["key"]
    before = len(role_events(db))
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Project)) == 1
    # A name with nothing to make a key from asks for a key, beside the key field.
    state = picked_state(NINE_LEADS, name="???", channel="CPRICING")
    assert "key" in bot.submit_state(modal, state, user=NEWCOMER).json()["errors"]
    assert len(role_events(db)) == before


def test_edit_roles_writes_exactly_the_changed_role_events(bot, slack, db, seeded):
    opened = len(slack.calls_to("views.open"))
    bot.click("home.edit_roles", seeded.key, user=seeded.creator, home=True)
    modal = wait_for_modal(bot, opened)
    assert modal["title"]["text"] == "Edit roles"
    blocks = {b.get("block_id"): b for b in modal["blocks"]}
    assert blocks["lead.ml_architect"]["element"]["initial_user"] == seeded.architect
    assert blocks["members.data_analyst"]["element"]["initial_users"] == [seeded.intern]
    assert "key" not in blocks  # the key is shown, not asked

    leads = {
        Role.DATA_SCIENTIST: seeded.ds,
        Role.DATA_ENGINEER: seeded.de,
        Role.DOMAIN_EXPERT: seeded.domain,
        Role.ML_ARCHITECT: seeded.architect,
        Role.SOFTWARE_DEVELOPER: seeded.swe,
        Role.DEVOPS_ENGINEER: "UNEWOPS",  # changed: a new DevOps lead, the old one leaves
        Role.COMPLIANCE: "UJON",  # changed: a compliance lead where there was none
    }
    before = len(role_events(db))
    response = bot.submit_state(
        modal, picked_state(leads, {Role.DATA_ANALYST: [seeded.intern]}), user=seeded.creator
    )
    assert response.status_code == 200 and not response.text, response.text
    new = role_events(db)[before:]
    assert sorted((e.action, e.detail["role"], e.detail["user"]) for e in new) == [
        ("role.assigned", "compliance", "UJON"),
        ("role.assigned", "devops_engineer", "UNEWOPS"),
        ("role.removed", "devops_engineer", seeded.devops),
    ]
    assert leads_of(db, seeded.key)[Role.DEVOPS_ENGINEER] == "UNEWOPS"

    # The same form submitted again changes nothing and writes nothing.
    bot.submit_state(
        modal, picked_state(leads, {Role.DATA_ANALYST: [seeded.intern]}), user=seeded.creator
    )
    assert len(role_events(db)) == before + 3


def test_only_a_project_manager_may_edit_roles(bot, slack, db, seeded):
    # A stale Home (or a forged click): the refusal is shown on screen, not sent as a DM.
    opened = len(slack.calls_to("views.open"))
    bot.click("home.edit_roles", seeded.key, user=seeded.intern, home=True)
    notice = wait_for_modal(bot, opened)
    assert notice["callback_id"] == "baton.notice" and "submit" not in notice
    assert "can edit its roles" in text_of(notice) and notice["close"]["text"] == "Close"
    assert not [m for m in slack.messages() if "can edit its roles" in text_of(m)]
    with db.session() as s:
        refused = s.scalars(select(AuditEvent.action).where(AuditEvent.action.like("refused.%")))
        assert list(refused) == ["refused.project.edit_roles"]


def test_the_architect_lead_may_hand_the_lead_on_and_change_a_later_role_at_once(
    bot, slack, db, seeded
):
    # The ML-architect lead did not create the project; handing their lead on in the same
    # submit must not get the later DevOps change refused and the whole submit rolled back.
    opened = len(slack.calls_to("views.open"))
    bot.click("home.edit_roles", seeded.key, user=seeded.architect, home=True)
    modal = wait_for_modal(bot, opened)
    leads = {
        Role.DATA_SCIENTIST: seeded.ds,
        Role.DATA_ENGINEER: seeded.de,
        Role.DOMAIN_EXPERT: seeded.domain,
        Role.ML_ARCHITECT: "UNEWARCH",
        Role.SOFTWARE_DEVELOPER: seeded.swe,
        Role.DEVOPS_ENGINEER: "UNEWOPS",
    }
    before = len(role_events(db))
    response = bot.submit_state(
        modal, picked_state(leads, {Role.DATA_ANALYST: [seeded.intern]}), user=seeded.architect
    )
    assert response.status_code == 200 and not response.text, response.text
    assert leads_of(db, seeded.key)[Role.ML_ARCHITECT] == "UNEWARCH"
    assert leads_of(db, seeded.key)[Role.DEVOPS_ENGINEER] == "UNEWOPS"
    new = role_events(db)[before:]
    assert sorted((e.action, e.detail["role"], e.detail["user"]) for e in new) == [
        ("role.assigned", "devops_engineer", "UNEWOPS"),
        ("role.assigned", "ml_architect", "UNEWARCH"),
        ("role.removed", "devops_engineer", seeded.devops),
        ("role.removed", "ml_architect", seeded.architect),
    ]


NOT_IN = "Baton is not in that channel: type /invite @Baton there, then submit again."


def projects_count(db) -> int:
    with db.session() as s:
        return s.scalar(select(func.count()).select_from(Project))


def test_a_private_channel_baton_is_not_in_is_refused_beside_the_channel(bot, slack, db):
    # Slack hides a private channel from a bot not in it; its posts there would all fail.
    slack.channels["CSECRET"] = {"name": "secret", "private": True, "member": False}
    modal = open_by_command(bot)
    state = picked_state(NINE_LEADS, name="Pricing engine", key="Bad_Key", channel="CSECRET")
    answer = bot.submit_state(modal, state, user=NEWCOMER).json()
    assert answer["response_action"] == "errors"
    assert answer["errors"]["channel"] == NOT_IN
    assert "is not a valid project key" in answer["errors"]["key"]  # every problem at once
    assert [c.params["channel"] for c in slack.calls_to("conversations.info")] == ["CSECRET"]
    assert projects_count(db) == 0 and role_events(db) == []

    # Invited, the same submit (with a good key) sets the project up.
    slack.channels["CSECRET"]["member"] = True
    state = picked_state(NINE_LEADS, name="Pricing engine", channel="CSECRET")
    response = bot.submit_state(modal, state, user=NEWCOMER)
    assert response.status_code == 200 and not response.text, response.text
    assert projects_count(db) == 1


def test_a_public_channel_baton_has_not_joined_is_a_home_it_can_post_in(bot, slack, db):
    slack.channels["CLOBBY"] = {"name": "lobby", "member": False}  # chat:write.public posts
    modal = open_by_command(bot)
    state = picked_state(NINE_LEADS, name="Pricing engine", channel="CLOBBY")
    response = bot.submit_state(modal, state, user=NEWCOMER)
    assert response.status_code == 200 and not response.text, response.text
    with db.session() as s:
        assert s.scalars(select(Project.channel_id)).one() == "CLOBBY"


def test_when_slack_cannot_say_the_channel_is_not_refused_on_a_guess(bot, slack, db):
    slack.error_next("conversations.info", "missing_scope")  # installed before channels:read
    modal = open_by_command(bot)
    state = picked_state(NINE_LEADS, name="Pricing engine", channel="CPRICING")
    response = bot.submit_state(modal, state, user=NEWCOMER)
    assert response.status_code == 200 and not response.text, response.text
    assert projects_count(db) == 1


def test_a_lead_picker_sending_a_channel_id_is_not_read_and_changes_nothing(bot, slack, db):
    modal = open_by_command(bot)
    for forged in ({Role.ML_ARCHITECT: "CPRICING"}, {Role.COMPLIANCE: "GPRIVATE"}):
        state = picked_state(NINE_LEADS | forged, name="Pricing engine", channel="CPRICING")
        answer = bot.submit_state(modal, state, user=NEWCOMER).json()
        assert answer["response_action"] == "errors"
        assert list(answer["errors"].values()) == [
            "Baton could not read that request, so nothing was done."
        ]
    state = picked_state(
        NINE_LEADS, {Role.DATA_SCIENTIST: ["CPRICING"]}, name="P", channel="CPRICING"
    )
    assert bot.submit_state(modal, state, user=NEWCOMER).json()["response_action"] == "errors"
    assert projects_count(db) == 0 and role_events(db) == []


def test_a_creator_who_took_no_role_finds_the_project_in_my_projects(bot, slack, db):
    creator = "UFOUNDER"  # sets the project up for the nine leads, holds no role in it
    assert creator not in NINE_LEADS.values()
    modal = open_by_command(bot, user=creator)
    state = picked_state(NINE_LEADS, name="Pricing engine", channel="CPRICING")
    assert bot.submit_state(modal, state, user=creator).status_code == 200
    with db.session() as s:
        held = s.scalars(select(RoleAssignment).where(RoleAssignment.user_id == creator))
        assert list(held) == []

    published = len([c for c in slack.calls_to("views.publish") if c.params["user_id"] == creator])
    event = {"type": "app_home_opened", "user": creator, "tab": "home"}
    assert bot.event(event, event_id="EvFounder").status_code == 200
    slack.wait_for(
        lambda: (
            len([c for c in slack.calls_to("views.publish") if c.params["user_id"] == creator])
            > published
        )
    )
    home = slack.home(creator)
    said = text_of(home)
    assert "My projects (1)" in said and "*Pricing engine* (`pricing-engine`)" in said
    edit = [
        e
        for b in home["blocks"]
        if b["type"] == "actions"
        for e in b["elements"]
        if e.get("action_id") == "home.edit_roles"
    ]
    assert [e["value"] for e in edit] == ["pricing-engine"]  # the creator manages it
    # ...says they hold no role, and offers no Request hand-off that would only be refused.
    assert "You created it and hold no role on it." in said
    project = next(b for b in home["blocks"] if b.get("block_id") == "home.project.pricing-engine")
    assert [e["text"]["text"] for e in project["elements"]] == ["Status", "Edit roles"]
