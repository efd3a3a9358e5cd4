"""The one Slack Web API client: base URL from settings, retries for rate limits and outages."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    RetryHandler,
)
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler

from bot.config import Settings


def make_client(
    settings: Settings, *, timeout: int = 10, rate_limit_retries: bool = True
) -> WebClient:
    """rate_limit_retries=False for the deliverer: slack-sdk's handlers sleep in the calling
    thread, and the deliverer reschedules instead so one slow channel holds up no other. Nor
    does it resend after a reset connection: the post may have landed, and the outbox's retry
    looks for it in Slack before posting again."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    handlers: list[RetryHandler] = []
    if rate_limit_retries:
        handlers.append(ConnectionErrorRetryHandler(max_retry_count=2))
        handlers += [
            RateLimitErrorRetryHandler(max_retry_count=2),
            ServerErrorRetryHandler(max_retry_count=2),
        ]
    return WebClient(
        token=token, base_url=settings.slack_api_url, timeout=timeout, retry_handlers=handlers
    )
