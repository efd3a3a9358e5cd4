"""An alert's message tells the truth after every change: acknowledged, recovered, and its
retrain button gone while a retrain cannot start (a hand-off open, the project out of monitor)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from models.enums import Stage
from models.handoff import Handoff
from models.monitor import Alert
from models.project import Project
from tests.slackbot.conftest import ADMIN
from tests.slackbot.flow import buttons, last_modal, text_of, wait_for_modal

RETRAIN = {
    "issue": "AUC dropped",
    "affected_metrics": "auc",
    "suspected_cause": "data pipeline",
}


def in_monitor(db, seeded) -> None:
    with db.session() as s:
        s.execute(update(Project).where(Project.key == seeded.key).values(stage=Stage.MONITOR))


def breach(bot, db, seeded) -> tuple[int, dict[str, Any]]:
    bot.reply(f"monitor add {seeded.key} auc min 0.8", user=seeded.ds)
    bot.reply(f"metric {seeded.key} auc 0.7", user=seeded.ds)
    bot.deliver()
    with db.session() as s:
        alert_id = s.scalars(select(Alert.id)).one()
    return alert_id, bot.fake.last_message(seeded.channel)


def as_it_stands(slack, posted: dict[str, Any]) -> dict[str, Any]:
    """The alert's message now, after any chat.update."""
    (now,) = [m for m in slack.messages(posted["channel"]) if m["ts"] == posted["ts"]]
    return now


def test_acknowledging_edits_the_alert_message_itself(bot, slack, db, seeded):
    in_monitor(db, seeded)
    alert_id, posted = breach(bot, db, seeded)
    assert buttons(posted) == ["Acknowledge", "Open retrain hand-off"]

    bot.click("alert.ack", str(alert_id), user=seeded.ds, message=posted)
    bot.deliver()

    now = as_it_stands(slack, posted)
    assert f"acknowledged by <@{seeded.ds}>" in text_of(now)
    assert buttons(now) == ["Open retrain hand-off"]
    assert [c.params["ts"] for c in slack.calls_to("chat.update")] == [posted["ts"]]


def test_recovery_edits_the_alert_to_its_value_and_time_and_removes_its_buttons(
    bot, slack, db, seeded
):
    in_monitor(db, seeded)
    _alert_id, posted = breach(bot, db, seeded)

    bot.reply(f"metric {seeded.key} auc 0.86", user=seeded.ds)
    bot.deliver()

    now = as_it_stands(slack, posted)
    said = text_of(now)
    assert ":white_check_mark: resolved: back to *0.86* at <!date^" in said
    assert buttons(now) == [] and "waiting for someone" not in said
    reply = [m for m in slack.messages(seeded.channel) if m.get("thread_ts") == posted["ts"]]
    assert len(reply) == 1 and "back to *0.86*" in text_of(reply[0])


def test_the_retrain_button_goes_while_a_retrain_is_open_and_comes_back_when_it_is_not(
    bot, slack, db, seeded
):
    in_monitor(db, seeded)
    alert_id, posted = breach(bot, db, seeded)
    opened = len(slack.calls_to("views.open"))
    bot.click("alert.retrain", str(alert_id), user=seeded.ds, message=posted)
    wait_for_modal(bot, opened)
    assert bot.submit(last_modal(bot), RETRAIN, user=seeded.ds).text == ""
    bot.deliver()

    now = as_it_stands(slack, posted)
    assert buttons(now) == ["Acknowledge"]
    assert "No retrain from here: a hand-off is open (monitor → develop)" in text_of(now)

    bot.reply(f"handoff cancel {seeded.key}", user=seeded.ds)
    bot.deliver()
    assert buttons(as_it_stands(slack, posted)) == ["Acknowledge", "Open retrain hand-off"]


def test_the_retrain_button_goes_once_the_project_leaves_monitor(bot, slack, db, seeded):
    in_monitor(db, seeded)
    alert_id, posted = breach(bot, db, seeded)
    opened = len(slack.calls_to("views.open"))
    bot.click("alert.retrain", str(alert_id), user=seeded.ds, message=posted)
    wait_for_modal(bot, opened)
    bot.submit(last_modal(bot), RETRAIN, user=seeded.ds)
    bot.deliver()
    with db.session() as s:
        hid = s.scalars(select(Handoff.id)).one()

    bot.click("handoff.approve", str(hid), user=ADMIN)
    bot.deliver()

    now = as_it_stands(slack, posted)
    assert "the project is in develop now, not monitor" in text_of(now)
    assert buttons(now) == ["Acknowledge"]
