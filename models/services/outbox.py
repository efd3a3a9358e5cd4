"""Queue the messages a state change owes (to Slack or a sink), in the change's transaction.

Each message is a notification (models/notifications.py): its class names the topic, its
fields are what the renderer needs.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from models.notifications import Notification
from models.outbox import SLACK_SINK, OutboxMessage


def to_channel(s: Session, team_id: str, channel_id: str, note: Notification) -> OutboxMessage:
    return _queue(s, team_id, note, channel_id=channel_id)


def to_user(s: Session, team_id: str, user_id: str, note: Notification) -> OutboxMessage:
    """A direct message: Slack opens the app's DM with the user when posting to a user id."""
    return _queue(s, team_id, note, user_id=user_id)


def to_sink(s: Session, team_id: str, target: str, note: Notification) -> OutboxMessage:
    """A row for the note's non-Slack sink (bot/sinks.py); rows to one `target` (e.g. "3" of
    the webhook sink, stored as "webhook:3") are delivered in order, with the same retries as
    Slack messages."""
    if note.sink == SLACK_SINK:
        raise ValueError(f"{type(note).__name__} goes to Slack: queue it to a channel or user")
    return _queue(s, team_id, note, sink=note.sink, sink_target=f"{note.sink}:{target}")


def _queue(s: Session, team_id: str, note: Notification, **where: str) -> OutboxMessage:
    message = OutboxMessage(
        team_id=team_id, topic=note.stored_topic, data=note.data(), **note.columns(), **where
    )
    s.add(message)
    return message
