"""Faults Baton must survive: the database going away, Slack answering too slowly."""

from __future__ import annotations

import logging

from bot.db import make_engine, make_session_factory
from tests.slackbot.flow import text_of


def test_database_outage_answers_try_again_and_logs_the_cause(bot, slack, seeded, tmp_path, caplog):
    healthy = bot.baton.rt.sessions
    broken = make_engine(f"sqlite:///{tmp_path}/missing-dir/nowhere.db")
    bot.baton.rt.sessions = make_session_factory(broken)
    try:
        with caplog.at_level(logging.ERROR):
            reply = bot.reply("status churn-model", user=seeded.ds)
    finally:
        bot.baton.rt.sessions = healthy
    assert reply["response_type"] == "ephemeral" and "try again" in text_of(reply)
    assert any("database unavailable" in r.getMessage() for r in caplog.records)
    assert "Stage *manage*" in text_of(bot.reply("status churn-model", user=seeded.ds))


def test_slack_timing_out_on_views_open_tells_the_user(bot, slack, seeded):
    bot.baton.rt.client.timeout = 1
    slack.delay("views.open", 5, applied=False)
    ack = bot.command("handoff churn-model", user=seeded.ds)
    assert ack.status_code == 200 and ack.text == ""
    answer = slack.wait_for(lambda: slack.responses(), timeout=10)[-1]
    assert answer["response_type"] == "ephemeral"
    assert "did not open the hand-off form" in answer["text"]
