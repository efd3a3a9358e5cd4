"""What one outbox row asks of Slack: a plan rendered from current state, then its execution.

Planning reads the database; sending happens outside any transaction, so a slow Slack never
holds a database lock; the outcome is recorded afterwards (bot/delivery.py).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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
from models.services.handoff_queries import view_by_id
from models.workspace import MessageRef

log = logging.getLogger(__name__)

CARD_POSTS = ("handoff.requested", "handoff.signoff_requested")
CARD_UPDATES = ("handoff.updated", "handoff.resubmitted")
ALERT_POSTS = ("alert.opened",)
# Every post carries its outbox id as message metadata, so a retry can find it in Slack.
METADATA_EVENT = "baton_outbox"
HISTORY_PAGE = 200
HISTORY_PAGES = 5  # at most 1,000 recent messages are read before posting again
CLOCK_SKEW = timedelta(minutes=1)  # our clock against Slack's, for the history window


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
    outbox_id: int | None = None  # sent as the posts' metadata
    # When an earlier attempt whose outcome is unknown started: look for its post first.
    look_since: datetime | None = None


@dataclass
class Sent:
    """What Slack accepted, kept even when a later call of the same plan fails."""

    posted: list[tuple[Post, str, str]] = field(default_factory=list)  # (post, channel, ts)
    updated: list[Update] = field(default_factory=list)


class SendFailed(Exception):
    """`looking`: it failed while looking for an earlier post, so whether that one reached
    Slack is still unknown."""

    def __init__(self, sent: Sent, cause: BaseException, *, looking: bool = False) -> None:
        super().__init__(str(cause))
        self.sent, self.cause, self.looking = sent, cause, looking


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
                try:
                    found = _already_posted(client, call, plan)
                except (SlackApiError, OSError) as exc:
                    raise SendFailed(sent, exc, looking=True) from exc
                response = found or _post(client, call, _metadata(plan))
                sent.posted.append((call, str(response["channel"]), str(response["ts"])))
            else:
                client.chat_update(channel=call.channel, ts=call.ts, **call.payload)
                sent.updated.append(call)
    except (SlackApiError, OSError) as exc:
        raise SendFailed(sent, exc) from exc
    return sent


def _metadata(plan: Plan) -> dict[str, Any] | None:
    if plan.outbox_id is None:
        return None
    return {"event_type": METADATA_EVENT, "event_payload": {"outbox_id": plan.outbox_id}}


def _already_posted(client: WebClient, call: Post, plan: Plan) -> dict[str, str] | None:
    """The earlier attempt's message, if it reached Slack: {channel, ts}, else None."""
    if plan.look_since is None or plan.outbox_id is None:
        return None
    try:
        return _find_in_history(client, call.target, plan.outbox_id, plan.look_since)
    except SlackApiError as exc:
        if exc.response.status_code == 429 or exc.response.status_code >= 500:
            raise  # try again later, still looking first
        # No history scope, or a channel we may post to but not read: a possible duplicate
        # is better than a lost message.
        log.warning(
            "outbox %s: cannot look for an earlier post (%s); posting again",
            plan.outbox_id,
            exc.response.get("error"),
        )
        return None


def _find_in_history(
    client: WebClient, target: str, outbox_id: int, since: datetime
) -> dict[str, str] | None:
    channel = target
    if channel.startswith(("U", "W")):  # a DM is posted to the user; its history is the IM's
        channel = str(client.conversations_open(users=channel)["channel"]["id"])
    oldest = f"{(since - CLOCK_SKEW).timestamp():.6f}"
    cursor = None
    for _ in range(HISTORY_PAGES):
        page = client.conversations_history(
            channel=channel,
            oldest=oldest,
            limit=HISTORY_PAGE,
            include_all_metadata=True,
            cursor=cursor,
        )
        for message in page.get("messages") or []:
            if _carries(message, outbox_id):
                return {"channel": channel, "ts": str(message["ts"])}
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return None
    return None


def _carries(message: dict[str, Any], outbox_id: int) -> bool:
    meta = message.get("metadata") or {}
    payload = meta.get("event_payload") or {}
    return meta.get("event_type") == METADATA_EVENT and payload.get("outbox_id") == outbox_id


def _post(client: WebClient, call: Post, metadata: dict[str, Any] | None) -> Any:
    extra = {"metadata": metadata} if metadata else {}
    try:
        return client.chat_postMessage(channel=call.target, **call.payload, **extra)
    except SlackApiError as exc:
        # A public channel the bot has not joined: join once, then post again.
        if exc.response.get("error") != "not_in_channel" or not call.target.startswith("C"):
            raise
        client.conversations_join(channel=call.target)
        return client.chat_postMessage(channel=call.target, **call.payload, **extra)
