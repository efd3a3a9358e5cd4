"""Block Kit primitives. Every limit is applied here, so builders above cannot exceed one."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.blocks.text import (
    ACTION_ID_MAX,
    BLOCK_ID_MAX,
    BUTTON_TEXT_MAX,
    BUTTON_VALUE_MAX,
    CONTEXT_ELEMENTS_MAX,
    FIELD_TEXT_MAX,
    FIELDS_MAX,
    HEADER_TEXT_MAX,
    INPUT_LABEL_MAX,
    MESSAGE_BLOCKS_MAX,
    MESSAGE_TEXT_TOTAL_MAX,
    MODAL_TITLE_MAX,
    OPTION_TEXT_MAX,
    OPTION_VALUE_MAX,
    OPTIONS_MAX,
    PLACEHOLDER_MAX,
    PRIVATE_METADATA_MAX,
    SECTION_TEXT_MAX,
    VIEW_BLOCKS_MAX,
    VIEW_BUTTON_MAX,
    cut,
)

Block = dict[str, Any]
INPUT_VALUE_MAX = 3000
FALLBACK_TEXT_MAX = 3000
# Under MESSAGE_TEXT_TOTAL_MAX with room for the fallback-free block containers.
TEXT_BUDGET = MESSAGE_TEXT_TOTAL_MAX - 1000


def mrkdwn(text: str, limit: int = SECTION_TEXT_MAX) -> dict[str, str]:
    return {"type": "mrkdwn", "text": cut(text, limit) or " "}


def plain(text: str, limit: int) -> dict[str, Any]:
    return {"type": "plain_text", "text": cut(text, limit) or " ", "emoji": True}


def header(text: str) -> Block:
    return {"type": "header", "text": plain(text, HEADER_TEXT_MAX)}


def section(text: str, *, block_id: str | None = None) -> Block:
    block: Block = {"type": "section", "text": mrkdwn(text)}
    if block_id:
        block["block_id"] = block_id[:BLOCK_ID_MAX]
    return block


def static_select(
    action_id: str, placeholder: str, options: list[tuple[str, str]], initial: str = ""
) -> Block:
    """A drop-down of (label, value) pairs; values carry only ids; `initial` chosen if given."""
    element: Block = {
        "type": "static_select",
        "action_id": action_id[:ACTION_ID_MAX],
        "placeholder": plain(placeholder, PLACEHOLDER_MAX),
        "options": [
            {"text": plain(label, OPTION_TEXT_MAX), "value": value[:OPTION_VALUE_MAX]}
            for label, value in options[:OPTIONS_MAX]
        ],
    }
    chosen = next((o for o in element["options"] if o["value"] == initial), None)
    if chosen is not None:
        element["initial_option"] = chosen  # the same object as the option, as Slack wants
    return element


def fields(pairs: list[str]) -> list[Block]:
    """Field sections, ten fields per block as Slack allows."""
    chunks = [pairs[i : i + FIELDS_MAX] for i in range(0, len(pairs), FIELDS_MAX)]
    return [
        {"type": "section", "fields": [mrkdwn(p, FIELD_TEXT_MAX) for p in chunk]}
        for chunk in chunks
    ]


def context(*texts: str) -> Block:
    return {
        "type": "context",
        "elements": [mrkdwn(t, FIELD_TEXT_MAX) for t in texts[:CONTEXT_ELEMENTS_MAX]],
    }


def divider() -> Block:
    return {"type": "divider"}


def button(text: str, action_id: str, value: str, style: str | None = None) -> Block:
    element: Block = {
        "type": "button",
        "text": plain(text, BUTTON_TEXT_MAX),
        "action_id": action_id[:ACTION_ID_MAX],
        "value": value[:BUTTON_VALUE_MAX],
    }
    if style:
        element["style"] = style
    return element


def actions(block_id: str, *elements: Block) -> Block:
    return {"type": "actions", "block_id": block_id[:BLOCK_ID_MAX], "elements": list(elements)}


def text_input(
    block_id: str,
    label: str,
    *,
    initial: str = "",
    multiline: bool = False,
    hint: str | None = None,
    optional: bool = False,
    max_length: int = INPUT_VALUE_MAX,
) -> Block:
    element: Block = {
        "type": "plain_text_input",
        "action_id": "value",
        "multiline": multiline,
        "max_length": min(max_length, INPUT_VALUE_MAX),
    }
    if initial:
        element["initial_value"] = initial[:INPUT_VALUE_MAX]
    return input_block(block_id, label, element, hint=hint, optional=optional)


def input_block(
    block_id: str, label: str, element: Block, *, hint: str | None = None, optional: bool = False
) -> Block:
    """An input block around one element; `hint` is the element's placeholder."""
    if hint:
        element["placeholder"] = plain(hint, PLACEHOLDER_MAX)
    return {
        "type": "input",
        "block_id": block_id[:BLOCK_ID_MAX],
        "label": plain(label, INPUT_LABEL_MAX),
        "element": element,
        "optional": optional,
    }


# Input elements; each reports its value under the action id "value" (see handlers/views.py).
# An initial value must be well formed (a date, an option, a user id): Slack refuses the view.
def datepicker(initial: str = "") -> Block:
    return _initial({"type": "datepicker", "action_id": "value"}, "initial_date", initial)


def url_input(initial: str = "") -> Block:
    return _initial({"type": "url_text_input", "action_id": "value"}, "initial_value", initial)


def number_input(initial: str = "") -> Block:
    # Block Kit numbers are strings: initial_value "0.85", not 0.85.
    element = {"type": "number_input", "action_id": "value", "is_decimal_allowed": True}
    return _initial(element, "initial_value", initial)


def users_select(initial: str = "") -> Block:
    return _initial({"type": "users_select", "action_id": "value"}, "initial_user", initial)


def choice_select(choices: list[str], initial: str = "") -> Block:
    """A form's drop-down of plain choices, each its own value."""
    options = [option(c) for c in choices[:OPTIONS_MAX]]
    element: Block = {"type": "static_select", "action_id": "value", "options": options}
    chosen = next((o for o in options if o["value"] == initial), None) if initial else None
    if chosen is not None:
        element["initial_option"] = chosen  # the same object as the option, as Slack wants
    return element


def option(text: str, value: str | None = None) -> Block:
    return {"text": plain(text, OPTION_TEXT_MAX), "value": (value or text)[:OPTION_VALUE_MAX]}


def _initial(element: Block, key: str, value: str) -> Block:
    if value:
        element[key] = value
    return element


PICKER_INITIAL = {
    "users_select": "initial_user",
    "multi_users_select": "initial_users",
    "conversations_select": "initial_conversation",
}


def picker_input(
    block_id: str,
    label: str,
    kind: str,
    *,
    initial: str | list[str] | None = None,
    optional: bool = False,
    **extra: Any,
) -> Block:
    """An input block holding a people or conversation picker (kind: a key of PICKER_INITIAL)."""
    element: Block = {"type": kind, "action_id": "value", **extra}
    if initial:
        element[PICKER_INITIAL[kind]] = initial
    return input_block(block_id, label, element, optional=optional)


def modal(
    title: str,
    callback_id: str,
    blocks: list[Block],
    *,
    submit: str | None = "Submit",
    private_metadata: str = "",
) -> Block:
    if len(private_metadata) > PRIVATE_METADATA_MAX:
        raise ValueError("private_metadata must carry ids only")
    view: Block = {
        "type": "modal",
        "callback_id": callback_id[:ACTION_ID_MAX],
        "title": plain(title, MODAL_TITLE_MAX),
        # With nothing to submit there is nothing to cancel: the only button closes it.
        "close": plain("Cancel" if submit else "Close", VIEW_BUTTON_MAX),
        "blocks": _capped(blocks, VIEW_BLOCKS_MAX),
        "private_metadata": private_metadata,
    }
    if submit:
        view["submit"] = plain(submit, VIEW_BUTTON_MAX)
    return view


def home(blocks: list[Block]) -> Block:
    return {"type": "home", "blocks": _capped(blocks, VIEW_BLOCKS_MAX)}


def message(text: str, blocks: list[Block]) -> dict[str, Any]:
    """A message payload: blocks within limits, plus the notification fallback text."""
    capped = _within_total(_capped(blocks, MESSAGE_BLOCKS_MAX), TEXT_BUDGET)
    return {"text": cut(text, FALLBACK_TEXT_MAX), "blocks": capped}


def _within_total(blocks: list[Block], budget: int) -> list[Block]:
    """Slack refuses a message whose block text passes ~12,000 characters in all
    (msg_blocks_too_long): shorten the longest section texts until the whole fits."""
    sections = [b["text"] for b in blocks if b["type"] == "section" and "text" in b]
    total = sum(_text_size(b) for b in blocks)
    for obj in sorted(sections, key=lambda t: len(t["text"]), reverse=True):
        if total <= budget:
            break
        keep = max(200, len(obj["text"]) - (total - budget))
        total -= len(obj["text"]) - len(cut(obj["text"], keep))
        obj["text"] = cut(obj["text"], keep)
    return blocks


def _text_size(node: Any) -> int:
    if isinstance(node, dict):
        own = len(node["text"]) if isinstance(node.get("text"), str) else 0
        return own + sum(
            _text_size(v) for k, v in node.items() if k != "text" or not isinstance(v, str)
        )
    if isinstance(node, list):
        return sum(_text_size(v) for v in node)
    return 0


def _capped(blocks: list[Block], limit: int) -> list[Block]:
    if len(blocks) <= limit:
        return blocks
    kept = blocks[: limit - 1]
    return [*kept, context(f"…and {len(blocks) - len(kept)} more not shown")]


def slack_date(when: datetime, fmt: str = "{date_short_pretty} {time}") -> str:
    """A date Slack shows in each reader's own time zone, with a UTC fallback."""
    fallback = when.strftime("%Y-%m-%d %H:%M UTC")
    return f"<!date^{int(when.timestamp())}^{fmt}|{fallback}>"


def age(start: datetime, now: datetime) -> str:
    minutes = max(0, int((now - start).total_seconds() // 60))
    if minutes < 60:
        return f"{minutes}m"
    if minutes < 48 * 60:
        return f"{minutes // 60}h"
    return f"{minutes // (24 * 60)}d"
