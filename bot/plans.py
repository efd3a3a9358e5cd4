"""What delivering one outbox row asks of Slack: posts and in-place edits, built by a renderer
(bot/renderers.py) from current state and carried out by bot/sending.py."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class Post:
    target: str
    payload: dict[str, Any]
    handoff_id: int | None = None  # set for cards, whose channel and ts are kept for updates
    version: int = 0
    alert_id: int | None = None  # set for alerts, whose ts later replies thread under


@dataclass
class Update:
    ref_id: int | None  # the hand-off card's MessageRef; None for other messages (alerts)
    channel: str
    ts: str
    payload: dict[str, Any]
    version: int = 0


@dataclass
class Plan:
    calls: list[Post | Update] = field(default_factory=list)
    defer_seconds: float | None = None  # an update waiting for its original post
    outbox_id: int | None = None  # sent as the posts' metadata
    # When an earlier attempt whose outcome is unknown started: look for its post first.
    look_since: datetime | None = None
