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
from sqlalchemy.orm import Session

from bot.plans import Plan, Post, Publish, Update
from bot.renderers import RENDERERS, Delivery
from models import notifications
from models.outbox import OutboxMessage
from models.policy import Policy

__all__ = ["Plan", "Post", "SendFailed", "Sent", "Update", "execute", "plan_for"]

log = logging.getLogger(__name__)

# Every post carries its outbox id as message metadata, so a retry can find it in Slack.
METADATA_EVENT = "baton_outbox"
HISTORY_PAGE = 200
HISTORY_PAGES = 5  # at most 1,000 recent messages are read before posting again
CLOCK_SKEW = timedelta(minutes=1)  # our clock against Slack's, for the history window


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


def plan_for(
    s: Session, row: OutboxMessage, policy: Policy, admins: frozenset[str] = frozenset()
) -> Plan:
    """The row read back into its notification, rendered by its class's renderer."""
    note = notifications.read(row)
    render = RENDERERS.get(type(note))
    if render is None:
        raise LookupError(f"no renderer for outbox topic {row.topic!r}")
    return render(Delivery(s, row, policy, admins), note)


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
            elif isinstance(call, Publish):
                client.views_publish(user_id=call.user_id, view=call.view)
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
