"""In a project's own channel the key may be left out; where several projects live, a select
asks which and picking one runs the command; a #channel stands for the project it is home to."""

from __future__ import annotations

from sqlalchemy import func, select

from models import Monitor
from models.project import Project
from models.schemas.base import Actor
from models.services import projects
from tests.slackbot.flow import last_modal, text_of, wait_for_modal
from tests.slackbot.harness import HOME

SHARED = "CSHARED"


def _said(bot, text: str, user: str = "UANY", channel: str = "CCHURN") -> str:
    return text_of(bot.answer(text, user=user, channel=channel))


def _two_projects_in(db, channel: str) -> None:
    with db.session() as s:
        for key in ("fraud-eu", "fraud-us"):
            projects.create_project(s, Actor(HOME, "UCREATOR"), key, key.upper(), channel)


def test_the_key_may_be_left_out_in_the_projects_own_channel(bot, slack, db, seeded):
    assert "Churn model (churn-model)" in _said(bot, "status")
    assert "Roles · churn-model" in _said(bot, "roles")
    assert "churn-model" in _said(bot, "history 5")
    assert "has no monitors" in _said(bot, "monitor list")
    assert "Monitoring *auc* on `churn-model`" in _said(bot, "monitor add auc min 0.8", seeded.ds)
    assert "No model versions recorded for `churn-model`" in _said(bot, "lineage")
    with db.session() as s:
        assert s.scalar(select(func.count()).select_from(Monitor)) == 1


def test_handoff_without_a_key_opens_the_form_of_the_channels_project(bot, slack, seeded):
    opened = len(slack.calls_to("views.open"))
    bot.reply("handoff", user=seeded.ds, channel=seeded.channel)
    view = wait_for_modal(bot, opened)
    assert "churn-model" in view["private_metadata"]
    assert last_modal(bot) == view


def test_a_key_typed_in_the_channel_still_wins(bot, slack, db, seeded):
    _two_projects_in(db, SHARED)
    assert "FRAUD-EU (fraud-eu)" in _said(bot, "status fraud-eu")
    said = _said(bot, "status churn-modle")
    assert "No project 'churn-modle' in this workspace. Did you mean 'churn-model'?" in said
    created = bot.reply("project create churn-v2", user="UALICE", channel=seeded.channel)
    assert "(`churn-v2`)" in text_of(created)


def test_without_a_home_project_the_key_is_still_asked_for(bot, slack, db, seeded):
    before = db.dump()
    said = _said(bot, "status", channel="CELSEWHERE")
    assert ":warning: missing the project key" in said and "Usage: `/mlops status" in said
    assert db.dump() == before


def test_a_channel_where_a_key_goes_means_the_project_it_is_home_to(bot, slack, seeded):
    said = _said(bot, "status <#CCHURN|churn-model>", channel="CELSEWHERE")
    assert "Churn model (churn-model)" in said
    said = _said(bot, "roles <#CRANDOM|random>", channel="CELSEWHERE")
    assert "'#random' is not the home channel of any project" in said
    assert "&lt;#" not in said and "CRANDOM" not in said


def test_several_projects_here_ask_which_and_the_pick_runs_the_command(bot, slack, db):
    _two_projects_in(db, SHARED)
    reply = bot.answer("history 3", user="UANY", channel=SHARED)
    [block] = reply["blocks"]
    select_ = block["accessory"]
    assert select_["type"] == "static_select"
    assert [o["value"] for o in select_["options"]] == ["fraud-eu", "fraud-us"]
    assert block["block_id"] == "rerun:history 3"
    response = bot.pick(
        select_["action_id"], "fraud-us", block_id=block["block_id"], user="UANY", channel=SHARED
    )
    assert response.status_code == 200
    answer = slack.wait_for(lambda: slack.responses())[-1]
    assert answer["replace_original"] is True
    said = text_of(answer)
    assert (
        "History · fraud-us" in said
        and "created project fraud-us" in said
        and "fraud-eu" not in said
    )


def test_a_pick_whose_answer_everyone_sees_takes_the_picker_away(bot, slack, db):
    _two_projects_in(db, SHARED)
    reply = bot.reply("overseer <@UOVERSEER>", user="UCREATOR", channel=SHARED)
    [block] = reply["blocks"]
    bot.pick(
        block["accessory"]["action_id"],
        "fraud-us",
        block_id=block["block_id"],
        user="UCREATOR",
        channel=SHARED,
    )
    deleted, posted = slack.wait_for(lambda: len(slack.responses()) >= 2 and slack.responses())
    assert deleted["delete_original"] is True  # the picker goes: no second run from it
    assert posted["response_type"] == "in_channel" and not posted["replace_original"]
    assert "fraud-us" in text_of(posted) and "fraud-eu" not in text_of(posted)
    with db.session() as s:
        overseers = {key: who for key, who in s.execute(select(Project.key, Project.overseer))}
    assert overseers == {"fraud-eu": None, "fraud-us": "UOVERSEER"}


def test_a_tampered_pick_runs_nothing(bot, slack, db):
    _two_projects_in(db, SHARED)
    before = db.dump()
    response = bot.pick(
        "command.pick_project", "fraud-us", block_id="status", user="UANY", channel=SHARED
    )
    assert response.status_code == 200
    said = text_of(slack.wait_for(lambda: slack.responses())[-1])
    assert "could not read" in said.lower()
    assert db.dump() == before


def test_words_that_only_read_as_a_key_are_taken_as_one(bot, slack, db, seeded):
    """`metric nope auc 0.5` has a word too many for the channel's project: `nope` is the key."""
    _two_projects_in(db, SHARED)
    before = db.dump()
    assert "No project 'nope'" in _said(bot, "metric nope auc 0.5", seeded.ds)
    assert "No project 'xyz'" in _said(bot, "status xyz")
    assert "No project 'nope'" in _said(bot, "metric nope auc 0.5", seeded.ds, channel=SHARED)
    said = _said(bot, "monitor add auc min", seeded.ds)  # neither reading works: the first's
    assert "missing the threshold" in said and "Usage: `/mlops monitor add" in said
    assert db.dump() == before
