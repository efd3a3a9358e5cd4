"""Slack mrkdwn → HTML for the sandbox page, never trusting the text.

Every character of a message reaches the page through `html.escape`; the only tags in the
output are the ones written here. Slack's own escaping is honoured on the way: `&lt;` is a
literal `<` typed by someone, while a raw `<…>` is a control sequence (mention, channel,
link, date). So `&lt;script&gt;` shows as text and `<!channel>` from a user, which Baton
escapes, can never become a broadcast.

The order matters: code is set aside first (nothing inside it is formatted), then control
sequences; the rest is escaped, and only then are `*bold*`, `_italic_` and `~strike~`
turned into tags, so markers can span a mention but never produce markup from user text.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from datetime import datetime

from bot.sandbox.emoji import emojize

_CODE_BLOCK = re.compile(r"```(.+?)```", re.DOTALL)
_INLINE_CODE = re.compile(r"`([^`\n]+)`")
_TOKEN = re.compile(r"<([^<>\n]*)>")
_PLACEHOLDER = re.compile(r"\x00(\d+)\x00")
_BOLD = re.compile(r"(?<![\w*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_(?!\s)([^_\n]+?)(?<!\s)_(?![\w_])")
_STRIKE = re.compile(r"(?<![\w~])~(?!\s)([^~\n]+?)(?<!\s)~(?![\w~])")
_QUOTE_LINE = re.compile(r"^&gt; ?(.*)$", re.MULTILINE)
_SAFE_SCHEMES = ("http://", "https://", "mailto:")
_BROADCASTS = {"here", "channel", "everyone"}
_DATE_FORMATS = {
    "{date_num}": "%Y-%m-%d",
    "{date}": "%B %d, %Y",
    "{date_short}": "%b %d, %Y",
    "{date_long}": "%A, %B %d, %Y",
    "{date_pretty}": "%B %d, %Y",
    "{date_short_pretty}": "%b %d",
    "{date_long_pretty}": "%A, %B %d",
    "{time}": "%H:%M",
    "{time_secs}": "%H:%M:%S",
}


@dataclass(frozen=True)
class Directory:
    """Names a reader sees instead of ids: people (id → display name), channels (id → name)."""

    users: dict[str, str] = field(default_factory=dict)
    channels: dict[str, str] = field(default_factory=dict)

    def user(self, user_id: str, label: str = "") -> str:
        return self.users.get(user_id) or label.lstrip("@") or user_id

    def channel(self, channel_id: str, label: str = "") -> str:
        return self.channels.get(channel_id) or label or channel_id


def esc(text: str) -> str:
    return html.escape(text, quote=True)


def unslack(text: str) -> str:
    """Undo Slack's three entities; `&amp;` last, so a typed `&amp;lt;` stays `&lt;`."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def plain_to_html(text: str, *, emoji: bool = True) -> str:
    """A plain_text object: shown literally (emoji names become emoji when asked)."""
    out = esc(text)
    return emojize(out) if emoji else out


def mrkdwn_to_html(text: str, names: Directory) -> str:
    # NUL marks our placeholders; it has no business in a message, so it is dropped.
    stash: list[str] = []
    source = text.replace("\x00", "")
    source = _CODE_BLOCK.sub(lambda m: _keep(stash, _code_block(m.group(1))), source)
    source = _INLINE_CODE.sub(lambda m: _keep(stash, _inline_code(m.group(1))), source)
    source = _TOKEN.sub(lambda m: _keep(stash, token_to_html(m.group(1), names)), source)
    out = emojize(esc(unslack(source)))
    out = _BOLD.sub(r"<strong>\1</strong>", out)
    out = _ITALIC.sub(r"<em>\1</em>", out)
    out = _STRIKE.sub(r"<del>\1</del>", out)
    out = _QUOTE_LINE.sub(r'<span class="bk-quote">\1</span>', out)
    return _PLACEHOLDER.sub(lambda m: stash[int(m.group(1))], out)


def _keep(stash: list[str], fragment: str) -> str:
    stash.append(fragment)
    return f"\x00{len(stash) - 1}\x00"


def _code_block(body: str) -> str:
    return f'<pre class="bk-pre">{esc(unslack(body.strip(chr(10))))}</pre>'


def _inline_code(body: str) -> str:
    return f'<code class="bk-code">{esc(unslack(body))}</code>'


def token_to_html(inner: str, names: Directory) -> str:
    """One `<…>` control sequence: a mention, channel, broadcast, date or link."""
    target, _, label = inner.partition("|")
    label = unslack(label)
    if target.startswith("@"):
        return _mention(names.user(target[1:], label))
    if target.startswith("#"):
        return f'<span class="bk-channel">#{esc(names.channel(target[1:], label))}</span>'
    if target.startswith("!"):
        return _special(target[1:], label)
    url = unslack(target)
    if url.startswith(_SAFE_SCHEMES):
        href = esc(url)
        return f'<a href="{href}" target="_blank" rel="noopener noreferrer">{esc(label or url)}</a>'
    # Not a control sequence Slack knows: show exactly what was written, as text.
    return esc("<" + unslack(inner) + ">")


def _mention(name: str) -> str:
    return f'<span class="bk-mention">@{esc(name)}</span>'


def _special(command: str, label: str) -> str:
    word, *args = command.split("^")
    if word in _BROADCASTS:
        return f'<span class="bk-mention bk-broadcast">@{esc(word)}</span>'
    if word == "subteam":
        return _mention(label or "group")
    if word == "date" and args and args[0].isdigit():
        return _date(int(args[0]), args[1] if len(args) > 1 else "{date_num}", label)
    return esc(label or f"<!{command}>")


def _date(timestamp: int, fmt: str, fallback: str) -> str:
    """Slack shows dates in the reader's time zone: here, the sandbox machine's."""
    try:
        when = datetime.fromtimestamp(timestamp).astimezone()
    except (OverflowError, OSError, ValueError):
        return esc(fallback or str(timestamp))
    shown = fmt
    for placeholder, pattern in _DATE_FORMATS.items():
        shown = shown.replace(placeholder, when.strftime(pattern))
    return f'<time datetime="{esc(when.isoformat())}">{esc(shown)}</time>'
