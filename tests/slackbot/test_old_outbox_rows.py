"""Outbox rows queued before notifications were typed (topic + data JSON) still deliver."""

from __future__ import annotations

import json

from sqlalchemy import select, text

from models.outbox import OutboxMessage
from models.policy import DEFAULT_POLICY
from models.project import Project
from models.schemas.base import Actor
from models.services import handoffs
from tests.slackbot.flow import PACKETS, buttons, text_of
from tests.slackbot.harness import HOME


def insert_old_row(db, topic: str, *, channel=None, user=None, handoff=None, **data) -> None:
    """A row exactly as the code before typed notifications wrote it, by plain SQL."""
    with db.session() as s:
        project_id = s.scalars(select(Project.id)).one()
        s.execute(
            text(
                "INSERT INTO outbox (team_id, sink, topic, channel_id, user_id, project_id,"
                " handoff_id, data, status, attempts, next_attempt_at, created_at)"
                " VALUES (:team, 'slack', :topic, :channel, :user, :project, :handoff, :data,"
                " 'pending', 0, :now, :now)"
            ),
            {
                "team": HOME,
                "topic": topic,
                "channel": channel,
                "user": user,
                "project": project_id,
                "handoff": handoff,
                "data": json.dumps(data),
                "now": "2026-01-01 00:00:00",
            },
        )


def statuses(db) -> dict[str, tuple[str, str | None]]:
    with db.session() as s:
        rows = s.scalars(select(OutboxMessage).order_by(OutboxMessage.id)).all()
        return {r.channel_id or r.user_id or "": (r.status.value, r.last_error) for r in rows}


def test_rows_written_before_typed_notifications_are_rendered_and_delivered(bot, slack, db, seeded):
    with db.session() as s:
        view = handoffs.submit_packet(
            s, Actor(HOME, seeded.ds), seeded.key, None, PACKETS["develop"], DEFAULT_POLICY
        )
    bot.deliver()
    insert_old_row(db, "project.advanced", channel="COLD", stage_from="manage", stage_to="develop")
    insert_old_row(
        db, "role.assigned", user="UNEW", role="data_scientist", lead=True, by=seeded.creator
    )
    insert_old_row(db, "handoff.signoff_requested", user="ULATE", handoff=view.id)
    insert_old_row(
        db, "handoff.changes_requested", user="UREQ", handoff=view.id, by=seeded.architect
    )

    bot.deliver()

    assert {t: statuses(db)[t] for t in ("COLD", "UNEW", "ULATE", "UREQ")} == {
        t: ("sent", None) for t in ("COLD", "UNEW", "ULATE", "UREQ")
    }
    assert "*churn-model* moved from *manage* to *develop*" in text_of(slack.last_message("COLD"))
    assert "made you *lead Data scientist* on *churn-model*" in text_of(slack.last_message("UNEW"))
    card = slack.last_message("ULATE")
    assert "Hand-off · churn-model · manage → develop" in text_of(card)
    assert buttons(card) == ["Approve", "Request changes", "Reject"]
    assert f"<@{seeded.architect}> asked for changes" in text_of(slack.last_message("UREQ"))


def test_an_old_row_of_a_topic_no_longer_known_fails_alone_with_its_reason(bot, slack, db, seeded):
    bot.deliver()
    insert_old_row(db, "handoff.vanished", channel="COLD")
    insert_old_row(db, "project.advanced", channel="COLD", stage_from="deploy", stage_to="monitor")
    insert_old_row(db, "project.advanced", channel="CBAD", stage_from="deploy")  # a field lost

    bot.deliver()

    with db.session() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.channel_id.is_not(None)))
        outcome = {(r.topic, r.channel_id): (r.status.value, r.last_error or "") for r in rows}
    assert outcome[("handoff.vanished", "COLD")] == (
        "failed",
        "render: unknown outbox topic 'handoff.vanished'",
    )
    assert outcome[("project.advanced", "COLD")] == ("sent", "")
    status, error = outcome[("project.advanced", "CBAD")]
    assert status == "failed" and "stage_to" in error
    assert "moved from *deploy* to *monitor*" in text_of(slack.last_message("COLD"))
