"""What one outbox row asks of Slack: a plan rendered from current state, then its execution.

Planning reads the database; sending happens outside any transaction, so a slow Slack never
holds a database lock; the outcome is recorded afterwards (bot/delivery.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.blocks import handoff as handoff_blocks
from bot.renderers import RENDERERS
from models.enums import OutboxStatus
from models.handoff import Handoff
from models.outbox import OutboxMessage
from models.policy import Policy
from models.services.views import view_by_id
from models.workspace import MessageRef

CARD_POSTS = ("handoff.requested", "handoff.signoff_requested")
CARD_UPDATES = ("handoff.updated", "handoff.resubmitted")
ALERT_POSTS = ("alert.opened",)


@dataclass
class Post:
    target: str
    payload: dict[str, Any]
    handoff_id: int | None = None  # set for cards, whose channel and ts are kept for updates
    version: int = 0
    alert_id: int | None = None  # set for alerts, whose ts later replies thread under


@dataclass
class Update:
    ref_id: int
    channel: str
    ts: str
    payload: dict[str, Any]
    version: int


@dataclass
class Plan:
    calls: list[Post | Update] = field(default_factory=list)
    defer_seconds: float | None = None  # an update waiting for its original post


@dataclass
class Sent:
    """What Slack accepted, kept even when a later call of the same plan fails."""

    posted: list[tuple[Post, str, str]] = field(default_factory=list)  # (post, channel, ts)
    updated: list[Update] = field(default_factory=list)


class SendFailed(Exception):
    def __init__(self, sent: Sent, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.sent, self.cause = sent, cause


def plan_for(s: Session, row: OutboxMessage, policy: Policy) -> Plan:
    target = row.channel_id or row.user_id or ""
    if row.topic in CARD_POSTS:
        view = view_by_id(s, row.team_id, _handoff_id(row), policy)
        return Plan([Post(target, handoff_blocks.card_message(view), view.id, view.version)])
    if row.topic in CARD_UPDATES:
        return _update_plan(s, row, policy)
    if row.topic == "signoff.reminder":
        # A reminder carries the card's buttons, so it is a copy updated in place like the others.
        view = view_by_id(s, row.team_id, _handoff_id(row), policy)
        payload = RENDERERS[row.topic](s, row, policy)
        return Plan([Post(target, payload, view.id, view.version)])
    if row.topic in RENDERERS:
        alert_id = int(row.data["alert_id"]) if row.topic in ALERT_POSTS else None
        return Plan([Post(target, RENDERERS[row.topic](s, row, policy), alert_id=alert_id)])
    raise ValueError(f"unknown outbox topic {row.topic!r}")


def _update_plan(s: Session, row: OutboxMessage, policy: Policy) -> Plan:
    handoff_id = _handoff_id(row)
    if _original_unsent(s, row, handoff_id):
        return Plan(defer_seconds=2.0)
    version = s.scalar(
        select(Handoff.version).where(Handoff.team_id == row.team_id, Handoff.id == handoff_id)
    )
    refs = s.scalars(
        select(MessageRef).where(
            MessageRef.team_id == row.team_id,
            MessageRef.handoff_id == handoff_id,
            MessageRef.rendered_version < (version or 0),  # coalesced: shown already → skip
        )
    ).all()
    if not refs:  # nothing posted, or every copy already current: no need to render
        return Plan()
    view = view_by_id(s, row.team_id, handoff_id, policy)
    payload = handoff_blocks.card_message(view)
    return Plan([Update(r.id, r.channel_id, r.ts, payload, view.version) for r in refs])


def _original_unsent(s: Session, row: OutboxMessage, handoff_id: int) -> bool:
    earlier = s.scalar(
        select(OutboxMessage.id).where(
            OutboxMessage.handoff_id == handoff_id,
            OutboxMessage.topic.in_(CARD_POSTS),
            OutboxMessage.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)),
            OutboxMessage.id < row.id,
        )
    )
    return earlier is not None


def _handoff_id(row: OutboxMessage) -> int:
    if row.handoff_id is None:
        raise ValueError(f"outbox row {row.id} ({row.topic}) names no hand-off")
    return row.handoff_id


def execute(client: WebClient, plan: Plan) -> Sent:
    sent = Sent()
    try:
        for call in plan.calls:
            if isinstance(call, Post):
                response = _post(client, call)
                sent.posted.append((call, str(response["channel"]), str(response["ts"])))
            else:
                client.chat_update(channel=call.channel, ts=call.ts, **call.payload)
                sent.updated.append(call)
    except (SlackApiError, OSError) as exc:
        raise SendFailed(sent, exc) from exc
    return sent


def _post(client: WebClient, call: Post) -> Any:
    try:
        return client.chat_postMessage(channel=call.target, **call.payload)
    except SlackApiError as exc:
        # A public channel the bot has not joined: join once, then post again.
        if exc.response.get("error") != "not_in_channel" or not call.target.startswith("C"):
            raise
        client.conversations_join(channel=call.target)
        return client.chat_postMessage(channel=call.target, **call.payload)
