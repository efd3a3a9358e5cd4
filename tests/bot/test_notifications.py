"""Every notification class has exactly one way out: a Slack renderer or a sink."""

from __future__ import annotations

import inspect

from bot import renderers, sinks
from models import notifications
from models.notifications import Notification
from models.outbox import SLACK_SINK, OutboxMessage


def declared() -> list[type[Notification]]:
    """The notification classes of models/notifications.py (tests may declare their own)."""
    return [
        cls
        for _, cls in inspect.getmembers(notifications, inspect.isclass)
        if issubclass(cls, Notification)
        and "topic" in cls.__dict__  # not a base that only shares fields
        and cls.__module__ == notifications.__name__
    ]


def test_every_slack_notification_has_a_renderer_and_every_renderer_a_notification() -> None:
    slack = {cls for cls in declared() if cls.sink == SLACK_SINK}
    assert len(slack) >= 17
    missing = sorted(cls.__name__ for cls in slack - set(renderers.RENDERERS))
    assert missing == [], f"notifications without a renderer: {missing}"
    strays = [cls.__name__ for cls in renderers.RENDERERS if cls not in slack]
    assert strays == [], f"renderers of no Slack notification: {strays}"


def test_every_sink_notification_has_its_sink_and_every_sink_a_notification() -> None:
    others = {cls for cls in declared() if cls.sink != SLACK_SINK}
    assert {cls.sink for cls in others} == {"webhook", "mlflow", "workflow"}
    ours = {cls for cls in sinks.load() if cls.__module__ == notifications.__name__}
    assert ours == others


def test_topics_are_unique_and_namespaced() -> None:
    topics = [cls.topic for cls in declared()]
    assert len(topics) == len(set(topics))
    assert all(t.count(".") == 1 and t == t.lower() for t in topics), topics
    assert {cls.topic for cls in declared() if cls.sink == SLACK_SINK} <= set(
        notifications.topics()
    )


def test_a_notification_is_stored_as_its_topic_columns_and_data_and_read_back() -> None:
    note = notifications.SignoffReminder(
        project_id=3, handoff_id=9, role="ml_architect", hours_overdue=4
    )
    assert (note.stored_topic, note.columns(), note.data()) == (
        "signoff.reminder",
        {"project_id": 3, "handoff_id": 9},
        {"role": "ml_architect", "hours_overdue": 4},
    )
    row = OutboxMessage(
        topic=note.stored_topic, data=note.data(), **note.columns(), sink=SLACK_SINK
    )
    assert notifications.read(row) == note
