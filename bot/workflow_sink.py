"""The "workflow" outbox sink: complete a Workflow Builder step once its hand-off is decided.

`functions.completeSuccess` with the outputs declared in the manifest (decision, approvers,
handoff_link) on approval; `functions.completeError` with a sentence on rejection or
cancellation. Sent with the app's bot token, not the execution's `bot_access_token`: Slack
documents both methods as accepting a bot token with no scope, and the execution token is a
credential Baton would otherwise have to store for as long as sign-off takes (days, across
restarts). Slack's own retry rules apply: a 429 holds the row for Retry-After, 5xx and network
errors back off, and an execution Slack no longer runs (timed out, completed) gives up.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.blocks.text import cut_plain
from bot.runtime import Runtime
from bot.sinks import Send, SinkFailed, register
from bot.slack import make_client
from models.notifications import WorkflowCompletion
from models.outbox import OutboxMessage
from models.services import workflow_steps
from models.services.workflow_steps import Completion
from models.workspace import MessageRef

log = logging.getLogger(__name__)

ERROR_TEXT_MAX = 1000
GIVE_UP = frozenset(
    {
        "function_execution_not_found",
        "execution_not_in_running_state",
        "parameter_validation_failed",
        "invalid_arguments",
        "access_denied",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "account_inactive",
    }
)


@register(WorkflowCompletion)
def prepare(rt: Runtime, s: Session, row: OutboxMessage, note: WorkflowCompletion) -> Send:
    step_id = note.step_id
    done = workflow_steps.completion(s, row.team_id, step_id)
    card = _card(s, row.team_id, done)
    # The deliverer's kind of client: no sleeping retry handlers, the outbox reschedules.
    client = make_client(rt.settings, rate_limit_retries=False)

    def send() -> None:
        try:
            if done.decision == "approved":
                outputs = {
                    "decision": done.decision,
                    "approvers": done.approvers,
                    "handoff_link": _link(client, done, card),
                }
                client.functions_completeSuccess(
                    function_execution_id=done.function_execution_id, outputs=outputs
                )
            else:
                client.functions_completeError(
                    function_execution_id=done.function_execution_id, error=failure_text(done)
                )
        except SlackApiError as exc:
            raise _judged(exc) from None
        with rt.session() as s:
            workflow_steps.record_completed(s, step_id)
        log.info("workflow step %s completed: %s", done.function_execution_id, done.decision)

    return send


def failure_text(done: Completion) -> str:
    """What Slackbot tells the person who ran the workflow (plain text, shown as is)."""
    what = f"The Baton hand-off of {done.project_key} ({done.transition}) was {done.decision}"
    why = f": {'; '.join(done.reasons)}" if done.reasons else "."
    return cut_plain(what + why, ERROR_TEXT_MAX)


def _card(s: Session, team_id: str, done: Completion) -> tuple[str, str] | None:
    """Where the hand-off's card is in its project channel, for the link."""
    ref = s.scalars(
        select(MessageRef)
        .where(
            MessageRef.team_id == team_id,
            MessageRef.handoff_id == done.handoff_id,
            MessageRef.channel_id == done.channel_id,
        )
        .order_by(MessageRef.id)
        .limit(1)
    ).first()
    return (ref.channel_id, ref.ts) if ref is not None else None


def _link(client: WebClient, done: Completion, card: tuple[str, str] | None) -> str:
    fallback = f"https://slack.com/app_redirect?channel={done.channel_id}"
    if card is None:
        return fallback
    try:
        answer: Any = client.chat_getPermalink(channel=card[0], message_ts=card[1])
        return str(answer["permalink"])
    except SlackApiError as exc:  # the link is a convenience: never hold the completion for it
        log.warning("no permalink for hand-off %s: %s", done.handoff_id, exc.response.get("error"))
        return fallback


def _judged(exc: SlackApiError) -> SinkFailed:
    code = str(exc.response.get("error") or f"http_{exc.response.status_code}")
    if exc.response.status_code == 429:
        retry_after = exc.response.headers.get("retry-after", "1")
        try:
            return SinkFailed(code, retry_after=float(retry_after))
        except ValueError:
            return SinkFailed(code, retry_after=1.0)
    return SinkFailed(code, permanent=code in GIVE_UP)
