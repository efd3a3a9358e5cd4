"""Whether Baton can post in a channel, asked of Slack (conversations.info) before a project
makes it its home, so the project's cards do not fail later in the outbox."""

from __future__ import annotations

import logging

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

log = logging.getLogger(__name__)


def baton_can_post(client: WebClient, channel_id: str) -> bool:
    """True when Baton is in the channel or the channel is public (chat:write.public posts
    there uninvited; delivery joins on not_in_channel). A private channel Baton is not in is
    one Slack hides from it: channel_not_found. When Slack cannot say (down, rate limited, an
    install without channels:read) the answer is True: the form is not refused on a guess,
    and the outbox still reports a failed post."""
    try:
        channel = client.conversations_info(channel=channel_id)["channel"]
    except SlackApiError as exc:
        error = exc.response.get("error")
        if error == "channel_not_found":
            return False
        log.warning("conversations.info %s: %s; taken as postable", channel_id, error)
        return True
    except OSError as exc:
        log.warning("conversations.info unreachable (%s); taken as postable", exc)
        return True
    return bool(channel.get("is_member")) or not channel.get("is_private")
