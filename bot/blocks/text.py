"""Text that reaches Slack: mrkdwn escaping, length cuts, trusted mentions and Slack's limits.

Pure functions, no Slack calls. User-typed text goes through `escape` so `<!channel>` or
`<@U123>` typed by someone never pings anyone; only ids we trust become mentions.
"""

from __future__ import annotations

import re

from models.rules import SLACK_CHANNEL, SLACK_USER

# Block Kit and message limits (characters unless the name says otherwise).
SECTION_TEXT_MAX = 3000
HEADER_TEXT_MAX = 150
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
ACTION_ID_MAX = 255
BLOCK_ID_MAX = 255
CALLBACK_ID_MAX = 255
URL_MAX = 3000
FIELD_TEXT_MAX = 2000
FIELDS_MAX = 10
CONTEXT_ELEMENTS_MAX = 10
ACTIONS_ELEMENTS_MAX = 25
OPTIONS_MAX = 100
MODAL_TITLE_MAX = 24
VIEW_BUTTON_MAX = 24
MESSAGE_BLOCKS_MAX = 50
VIEW_BLOCKS_MAX = 100
# Undocumented: Slack answers msg_blocks_too_long around this aggregate of all block text.
MESSAGE_TEXT_TOTAL_MAX = 12000
PRIVATE_METADATA_MAX = 3000
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
INPUT_LABEL_MAX = 2000
PLACEHOLDER_MAX = 150
TOP_TEXT_MAX = 40000

ELLIPSIS = "…"
# Longest entity `escape` produces is "&amp;" (5 characters).
_ENTITY = re.compile(r"&(?:amp|lt|gt);")
_ENTITY_LEN = 5
_TOKEN_START = re.compile(r"<(?:[@#!]|https?:|mailto:)")


DEFAULT_SLASH_COMMAND = "/mlops"  # BATON_COMMAND's default
_slash_command = DEFAULT_SLASH_COMMAND  # BATON_COMMAND; set once per process by bot/runtime.py


def use_slash_command(name: str) -> None:
    """Hints that tell people what to type name the configured slash command."""
    global _slash_command
    _slash_command = name


def slash_command() -> str:
    """The configured slash command (e.g. /mlops), for hints such as `/mlops signoffs`."""
    return _slash_command


def escape(text: str) -> str:
    """Escape the three characters Slack treats as mrkdwn control characters."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cut(text: str, limit: int) -> str:
    """At most `limit` characters, ending in `…` when cut; never splits `&amp;` or `<…>` tokens."""
    if len(text) <= limit:
        return text
    if limit < 1:
        return ""
    end = _safe_end(text, limit - len(ELLIPSIS))
    return text[:end].rstrip() + ELLIPSIS


def cut_plain(text: str, limit: int = SECTION_TEXT_MAX) -> str:
    """Text for a plain_text object: Slack shows it literally, so it is only cut."""
    if len(text) <= limit:
        return text
    if limit < 1:
        return ""
    return text[: limit - len(ELLIPSIS)].rstrip() + ELLIPSIS


def user(user_id: str) -> str:
    """A mention for a Slack user id we trust; anything else is shown as escaped text."""
    return f"<@{user_id}>" if SLACK_USER.match(user_id) else escape(user_id)


def channel(channel_id: str) -> str:
    """A channel link for a Slack channel id we trust; anything else is shown as escaped text."""
    return f"<#{channel_id}>" if SLACK_CHANNEL.match(channel_id) else escape(channel_id)


def _safe_end(text: str, end: int) -> int:
    """Move `end` back so the kept prefix ends outside any entity and any `<…>` token."""
    for match in _ENTITY.finditer(text, max(0, end - _ENTITY_LEN + 1), end + _ENTITY_LEN):
        if match.start() < end < match.end():
            end = match.start()
    opened = text.rfind("<", 0, end)
    # Half a mention, link or date token renders as junk (or as a broken ping), so drop it whole.
    if opened > text.rfind(">", 0, end) and _TOKEN_START.match(text, opened):
        end = opened
    return end


def unescape(text: str) -> str:
    """Undo Slack's three entities (as in slash-command text); `&amp;` last, so `&amp;lt;` stays `&lt;`."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
