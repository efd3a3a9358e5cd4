"""Monitoring as people live it in Slack: a monitor, a breach, the alert and its buttons,
escalation when nobody answers, recovery in the alert's thread, the retrain hand-off form."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from jobs import escalation
from jobs.context import JobContext
from models import Alert, AuditEvent, Handoff, Monitor, Project
from models.enums import Stage
from models.policy import DEFAULT_POLICY
from models.services import monitoring
from tests.slackbot.flow import (
    PACKETS,
    approve_all,
    buttons,
    last_modal,
    request_handoff,
    text_of,
    wait_for_modal,
)
from tests.slackbot.harness import BotClient


def _alerts(db) -> list[Alert]:
    with db.session() as s:
        return list(s.scalars(select(Alert).order_by(Alert.id)))


def _escalate(db, clock) -> int:
    ctx = JobContext(sessions=db.factory, policy=DEFAULT_POLICY)
    return escalation.run(ctx, clock.now())


def _breach(bot: BotClient, seeded, value: str = "0.7") -> dict[str, Any]:
    """Record a breaching value; the alert as it lands in the project channel."""
    reply = bot.reply(f"metric {seeded.key} auc {value}", user=seeded.ds)
    assert "alert posted in the channel" in text_of(reply)
    bot.deliver()
    return bot.fake.last_message(seeded.channel)


def _monitor(bot: BotClient, seeded) -> None:
    reply = bot.reply(f"monitor add {seeded.key} auc min 0.8", user=seeded.ds)
    assert "Monitoring *auc*" in text_of(reply) and "below 0.8" in text_of(reply)


def test_breach_ack_recovery_and_escalation_through_slack(bot, slack, db, seeded, clock):
    _in_monitor(db, seeded)  # where a retrain hand-off can start, so the alert offers one
    _monitor(bot, seeded)
    alert_msg = _breach(bot, seeded)
    said = text_of(alert_msg)
    assert f"<@{seeded.ds}>" in said and "Data scientist lead" in said
    assert "*0.7*" in said and "below its min 0.8" in said
    assert buttons(alert_msg) == ["Acknowledge", "Open retrain hand-off"]
    [alert] = _alerts(db)
    assert (alert.channel_id, alert.message_ts) == (seeded.channel, alert_msg["ts"])

    _acknowledged_alerts_do_not_escalate(bot, slack, db, seeded, clock, alert_msg)
    _recovery_answers_in_the_thread(bot, slack, seeded, alert_msg)
    _unanswered_alerts_escalate_once(bot, slack, db, seeded, clock)
    with db.session() as s:
        audited = set(s.scalars(select(AuditEvent.action).where(AuditEvent.action.like("alert.%"))))
    assert audited == {"alert.opened", "alert.acknowledged", "alert.resolved", "alert.escalated"}


def _acknowledged_alerts_do_not_escalate(bot, slack, db, seeded, clock, alert_msg) -> None:
    """Given the owner acknowledges it, nobody is escalated to, however long it stays open."""
    alert_id = str(_alerts(db)[0].id)
    assert bot.click("alert.ack", alert_id, user=seeded.ds, message=alert_msg).status_code == 200
    updated = slack.wait_for(lambda: slack.responses())[-1]
    assert updated["replace_original"] and f"acknowledged by <@{seeded.ds}>" in text_of(updated)
    assert "Acknowledge" not in buttons(updated)
    assert _alerts(db)[0].status == "acknowledged"
    clock.advance(minutes=31)
    assert _escalate(db, clock) == 0


def _recovery_answers_in_the_thread(bot, slack, seeded, alert_msg) -> None:
    reply = bot.reply(f"metric {seeded.key} auc 0.9", user=seeded.ds)
    assert "alert is resolved" in text_of(reply)
    bot.deliver()
    resolved = slack.last_message(seeded.channel)
    assert resolved["thread_ts"] == alert_msg["ts"]
    assert "back to *0.9*" in text_of(resolved) and "alert resolved" in text_of(resolved)


def _unanswered_alerts_escalate_once(bot, slack, db, seeded, clock) -> None:
    """Another breach nobody acknowledges reaches the ML architect lead after the delay."""
    second = _breach(bot, seeded, "0.65")
    clock.advance(minutes=29)
    assert _escalate(db, clock) == 0
    clock.advance(minutes=2)
    assert _escalate(db, clock) == 1
    bot.deliver()
    escalated = slack.last_message(seeded.channel)
    assert escalated["thread_ts"] == second["ts"]
    assert f"<@{seeded.architect}>, as ML architect lead" in text_of(escalated)
    assert slack.calls_to("chat.postMessage")[-1].params.get("reply_broadcast") in (True, "true")
    clock.advance(hours=3)
    assert _escalate(db, clock) == 0


def test_a_second_ack_and_a_stranger_get_told_and_change_nothing(bot, slack, db, seeded):
    _monitor(bot, seeded)
    alert_msg = _breach(bot, seeded)
    alert_id = str(_alerts(db)[0].id)
    bot.click("alert.ack", alert_id, user=seeded.de, message=alert_msg)
    slack.wait_for(lambda: len(slack.responses()) == 1)
    bot.click("alert.ack", alert_id, user=seeded.ds, message=alert_msg)
    bot.click("alert.ack", alert_id, user="UNOBODY", message=alert_msg)
    bot.click("alert.ack", "1 OR 1=1", user=seeded.ds, message=alert_msg)
    slack.wait_for(lambda: len(slack.responses()) == 4)
    answers = sorted(r["text"] for r in slack.responses()[1:])
    assert any("already acknowledged" in a for a in answers)
    assert any("Only members" in a for a in answers)
    assert any("does not point at an alert" in a for a in answers)
    assert _alerts(db)[0].acknowledged_by == seeded.de
    with db.session() as s:
        refused = list(
            s.scalars(select(AuditEvent.actor).where(AuditEvent.action == "refused.alert.ack"))
        )
    assert refused == ["UNOBODY"]


def test_monitor_list_shows_values_alerts_and_a_failing_source(bot, slack, db, seeded, clock):
    _monitor(bot, seeded)
    bot.reply(f"monitor add {seeded.key} latency_p95 max 250", user=seeded.ds)
    _breach(bot, seeded)
    with db.session() as s:
        latency = s.scalars(select(Monitor.id).where(Monitor.metric == "latency_p95")).one()
        monitoring.pull_failed(s, latency, "timed out after 5s <!channel>", clock.now())
    said = text_of(bot.reply(f"monitor list {seeded.key}", user=seeded.intern))
    assert "*auc* alerts below 0.8" in said and "last 0.7" in said and "alert open" in said
    assert "*latency_p95* alerts above 250" in said and "no value yet" in said
    assert "last pull failed: timed out after 5s &lt;!channel&gt;" in said
    removed = bot.reply(f"monitor remove {seeded.key} latency_p95", user=seeded.ds)
    assert "Stopped monitoring *latency_p95*" in text_of(removed)
    assert "latency_p95" not in text_of(bot.reply(f"monitor list {seeded.key}", user=seeded.ds))


def test_commands_refuse_what_the_rules_refuse(bot, slack, db, seeded):
    _monitor(bot, seeded)
    before = db.dump()
    for command, why in [
        (f"monitor add {seeded.key} auc max 0.9", "already monitors auc"),
        (f"metric {seeded.key} recall 0.5", "no monitor for recall"),
        (f"monitor remove {seeded.key} recall", "no monitor for recall"),
        ("metric no-such-project auc 0.5", "No project 'no-such-project'"),
    ]:
        reply = bot.reply(command, user=seeded.ds)
        assert reply["response_type"] == "ephemeral" and why in text_of(reply), command
    assert "Only members" in text_of(bot.reply(f"metric {seeded.key} auc 0.1", user="UNOBODY"))
    assert db.dump()["observations"] == before["observations"] == []
    assert db.dump()["alerts"] == []


def _in_monitor(db, seeded) -> None:
    with db.session() as s:
        s.execute(update(Project).where(Project.key == seeded.key).values(stage=Stage.MONITOR))


def test_open_retrain_hand_off_opens_the_prefilled_form(bot, slack, db, seeded):
    _in_monitor(db, seeded)
    _monitor(bot, seeded)
    alert_msg = _breach(bot, seeded)
    opened = len(slack.calls_to("views.open"))
    bot.click("alert.retrain", str(_alerts(db)[0].id), user=seeded.ds, message=alert_msg)
    modal = wait_for_modal(bot, opened)
    inputs = {
        b["block_id"]: b["element"].get("initial_value", "")
        for b in modal["blocks"]
        if b["type"] == "input"
    }
    assert inputs["issue"] == "auc 0.7 breached min 0.8"
    assert inputs["affected_metrics"] == "auc"
    assert "monitor → develop" in text_of(modal)
    values = {**inputs, "suspected_cause": "data pipeline"}
    assert bot.submit(last_modal(bot), values, user=seeded.ds).text == ""
    with db.session() as s:
        handoff = s.scalars(select(Handoff)).one()
    assert (handoff.from_stage, handoff.to_stage) == (Stage.MONITOR, Stage.DEVELOP)
    assert handoff.packet["issue"] == "auc 0.7 breached min 0.8"


def test_retrain_outside_the_monitor_stage_answers_why(bot, slack, db, seeded):
    _monitor(bot, seeded)
    alert_msg = _breach(bot, seeded)
    bot.click("alert.retrain", str(_alerts(db)[0].id), user=seeded.ds, message=alert_msg)
    answer = slack.wait_for(lambda: slack.responses())[-1]
    assert answer["response_type"] == "ephemeral"
    assert "is in manage, not monitor" in answer["text"]
    assert slack.calls_to("views.open") == []


def test_status_shows_monitors_and_lead_times(bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    with db.session() as s:
        handoff_id = s.scalars(select(Handoff.id)).one()
    approve_all(bot, handoff_id, [seeded.domain, seeded.architect])
    bot.reply("monitor add churn-model auc min 0.8", user=seeded.ds)
    bot.reply("metric churn-model auc 0.75", user=seeded.ds)
    said = text_of(bot.reply("status churn-model", user=seeded.ds))
    assert "*Monitors*" in said and "*auc* 0.75 (min 0.8) :rotating_light: alert open" in said
    assert "Lead times, last 90 days: manage → develop" in said


def test_monitor_with_a_source_and_another_owner_pings_that_owner(bot, slack, db, seeded):
    url = "https://metrics.example/churn.json"
    reply = bot.reply(
        f"monitor add {seeded.key} auc min 0.8 owner de json <{url}> data.auc every 60",
        user=seeded.ds,
    )
    said = text_of(reply)
    assert "pings the Data engineer lead" in said
    assert f"Baton polls json `{url}` every 60 s" in said
    with db.session() as s:
        monitor = s.scalars(select(Monitor)).one()
        stored = (monitor.owner_role, monitor.source_kind, monitor.source_url, monitor.source_query)
        assert stored == ("data_engineer", "json", url, "data.auc")
        assert monitor.poll_seconds == 60
    alert = text_of(_breach(bot, seeded))
    assert f"<@{seeded.de}>" in alert and f"<@{seeded.ds}>" not in alert
