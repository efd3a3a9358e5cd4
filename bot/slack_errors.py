"""What a Slack Web API failure means for an outbox row: give up, wait, or look before retrying."""

from __future__ import annotations

from slack_sdk.errors import SlackApiError

PERMANENT_ERRORS = frozenset(
    {
        "channel_not_found",
        "not_in_channel",
        "is_archived",
        "account_inactive",
        "user_not_found",
        "invalid_blocks",
        "invalid_blocks_format",
        "msg_too_long",
        "msg_blocks_too_long",
        "no_text",
        "cant_update_message",
        "message_not_found",
        "restricted_action",
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "missing_scope",
        "channel_is_archived",
    }
)
TRANSIENT_ERRORS = frozenset(
    {"internal_error", "fatal_error", "service_unavailable", "request_timeout"}
)


def retry_after(error: SlackApiError) -> float:
    try:
        return max(1.0, float(error.response.headers.get("retry-after", "1")))
    except (TypeError, ValueError):
        return 1.0


def transient(error: BaseException) -> bool:
    """Slack or the network is down, not the message wrong: it stays queued until delivered
    (backing off to one try in 10 minutes), however long the outage lasts."""
    if not isinstance(error, SlackApiError):
        return True  # connection refused, timeout, reset
    return error.response.status_code >= 500 or error_code(error) in TRANSIENT_ERRORS


def outcome_unknown(error: BaseException) -> bool:
    """No answer, or a server error: the post may have been made, so look before reposting."""
    if not isinstance(error, SlackApiError):
        return True
    return error.response.status_code >= 500


def error_code(error: BaseException) -> str:
    if isinstance(error, SlackApiError):
        return str(error.response.get("error") or f"http_{error.response.status_code}")
    return f"network: {error.__class__.__name__}"
