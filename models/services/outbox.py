"""Queue the messages a state change owes (to Slack or a sink), in the change's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from models.outbox import OutboxMessage


def to_channel(
    s: Session,
    team_id: str,
    topic: str,
    channel_id: str,
    *,
    project_id: int | None = None,
    handoff_id: int | None = None,
    **data: Any,
) -> OutboxMessage:
    return _queue(
        s,
        OutboxMessage(
            team_id=team_id,
            topic=topic,
            channel_id=channel_id,
            project_id=project_id,
            handoff_id=handoff_id,
            data=data,
        ),
    )


def to_user(
    s: Session,
    team_id: str,
    topic: str,
    user_id: str,
    *,
    project_id: int | None = None,
    handoff_id: int | None = None,
    **data: Any,
) -> OutboxMessage:
    """A direct message: Slack opens the app's DM with the user when posting to a user id."""
    return _queue(
        s,
        OutboxMessage(
            team_id=team_id,
            topic=topic,
            user_id=user_id,
            project_id=project_id,
            handoff_id=handoff_id,
            data=data,
        ),
    )


HOME_REFRESH = "home.refresh"


def refresh_home(s: Session, team_id: str, *user_ids: str) -> None:
    """Each person's App Home is published again, rendered when delivered: something that
    concerns them changed (a sign-off asked of them or decided, a role given or taken)."""
    for user_id in dict.fromkeys(user_ids):
        to_user(s, team_id, HOME_REFRESH, user_id)


def to_sink(
    s: Session,
    team_id: str,
    topic: str,
    sink: str,
    target: str,
    *,
    project_id: int | None = None,
    handoff_id: int | None = None,
    **data: Any,
) -> OutboxMessage:
    """A row for a non-Slack sink (bot/sinks.py); rows to one `target` (e.g. "webhook:3") are
    delivered in order, with the same retries as Slack messages."""
    return _queue(
        s,
        OutboxMessage(
            team_id=team_id,
            topic=topic,
            sink=sink,
            sink_target=f"{sink}:{target}",
            project_id=project_id,
            handoff_id=handoff_id,
            data=data,
        ),
    )


def _queue(s: Session, message: OutboxMessage) -> OutboxMessage:
    s.add(message)
    return message
