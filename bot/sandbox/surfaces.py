"""Whole surfaces of the page as HTML: a conversation's messages, a modal form, App Home.

Built on bot/sandbox/render.py; the same escaping rules hold (names and text escaped, ids
only in attributes).
"""

from __future__ import annotations

from datetime import datetime

from bot.sandbox.mrkdwn import Directory, esc, mrkdwn_to_html, plain_to_html
from bot.sandbox.render import Form, blocks_html
from bot.sandbox.workspace import BOT_USER, SLACKBOT, Message, View, Workspace

EMPTY_CHANNEL = "No messages yet. Type <code>/mlops help</code> below to see what Baton can do."
NO_HOME = "Baton has not published a Home tab for you yet."


def conversation_html(ws: Workspace, channel: str, viewer: str, names: Directory) -> str:
    messages = ws.visible(channel, viewer)
    if not messages:
        return f'<p class="empty">{EMPTY_CHANNEL}</p>'
    return "".join(message_html(m, names) for m in messages)


def message_html(m: Message, names: Directory) -> str:
    author = "Slackbot" if m.user == SLACKBOT else names.user(m.user)
    badge = '<span class="app-badge">APP</span>' if m.from_app else ""
    edited = '<span class="msg-edited">(edited)</span>' if m.edited else ""
    note = '<div class="msg-only-you">Only visible to you</div>' if m.visible_to is not None else ""
    if m.blocks:
        body = blocks_html(m.blocks, names)
    else:
        body = f'<div class="bk-text">{mrkdwn_to_html(m.text, names)}</div>'
    css = "msg" + (" msg-ephemeral" if m.visible_to else "") + (" msg-app" if m.from_app else "")
    return (
        f'<article class="{css}" data-channel="{esc(m.channel)}" data-ts="{esc(m.ts)}">'
        f'<div class="avatar avatar-{_hue(m.user)}" aria-hidden="true">{esc(_initials(author))}</div>'
        f'<div class="msg-main"><div class="msg-meta"><span class="msg-author">{esc(author)}</span>'
        f"{badge}<time>{_clock(m.ts)}</time>{edited}</div>{note}"
        f'<div class="msg-body">{body}</div></div></article>'
    )


def modal_html(view: View, names: Directory) -> str:
    payload = view.payload
    submit = payload.get("submit")
    close = payload.get("close") or {"type": "plain_text", "text": "Cancel"}
    submit_button = (
        f'<button type="submit" class="bk-btn bk-primary">{_plain(submit)}</button>'
        if submit
        else ""
    )
    return (
        f'<form class="modal" data-view-id="{esc(view.id)}" data-hash="{esc(view.hash)}" novalidate>'
        f'<header class="modal-title">{_plain(payload.get("title"))}</header>'
        f'<div class="modal-body">{blocks_html(payload.get("blocks") or [], names, Form(view.errors, view.values))}</div>'
        f'<footer class="modal-footer"><button type="button" class="bk-btn" data-modal-close="1">'
        f"{_plain(close)}</button>{submit_button}</footer></form>"
    )


def home_html(view: View | None, names: Directory) -> str:
    if view is None:
        return f'<p class="empty">{NO_HOME}</p>'
    blocks = blocks_html(view.payload.get("blocks") or [], names)
    return f'<div class="home" data-view-id="{esc(view.id)}">{blocks}</div>'


def _plain(obj: object) -> str:
    text = obj.get("text", "") if isinstance(obj, dict) else ""
    return plain_to_html(str(text))


def _initials(name: str) -> str:
    parts = [p for p in name.split() if p[:1].isalpha()]
    return "".join(p[0] for p in parts[:2]).upper() or "?"


def _hue(user: str) -> int:
    """A stable colour per person (Baton keeps its own)."""
    return 0 if user == BOT_USER else sum(map(ord, user)) % 6 + 1


def _clock(ts: str) -> str:
    try:
        return datetime.fromtimestamp(float(ts)).strftime("%H:%M")
    except (ValueError, OverflowError, OSError):
        return ""
