"""Our own Block Kit guard: every limit Slack enforces on the payloads Baton sends.

slack-sdk validates only its model objects; dict blocks and the 50-blocks-per-message limit pass
through unchecked and fail at Slack (invalid_blocks, msg_blocks_too_long). These pure functions
walk a payload and name each violation by path, e.g. `blocks[3].text.text: 3120 > 3000`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from bot.blocks.text import (
    ACTION_ID_MAX,
    ACTIONS_ELEMENTS_MAX,
    BLOCK_ID_MAX,
    BUTTON_TEXT_MAX,
    BUTTON_VALUE_MAX,
    CALLBACK_ID_MAX,
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
    TOP_TEXT_MAX,
    URL_MAX,
    VIEW_BLOCKS_MAX,
    VIEW_BUTTON_MAX,
)

Json = dict[str, Any]


class BlockKitLimitError(ValueError):
    """A payload Slack would reject; `violations` lists each broken limit by path."""

    def __init__(self, violations: list[str]) -> None:
        self.violations = violations
        super().__init__("Block Kit limits exceeded: " + "; ".join(violations))


def violations_in_message(payload: Json) -> list[str]:
    """Violations in a chat.postMessage / chat.update / postEphemeral / response_url payload."""
    out: list[str] = []
    _length(out, "text", payload.get("text"), TOP_TEXT_MAX)
    blocks = _as_blocks(payload.get("blocks"))
    _count(out, "blocks", blocks, MESSAGE_BLOCKS_MAX)
    out += _blocks(blocks)
    total = sum(_text_lengths(blocks))
    if total > MESSAGE_TEXT_TOTAL_MAX:
        out.append(f"blocks (all text): {total} > {MESSAGE_TEXT_TOTAL_MAX}")
    return out


def violations_in_view(view: Json) -> list[str]:
    """Violations in a modal or home view for views.open/update/push/publish."""
    out: list[str] = []
    if view.get("type") == "modal" and not _text(view.get("title")):
        out.append("title.text: missing, a modal needs a title")
    _length(out, "title.text", _text(view.get("title")), MODAL_TITLE_MAX)
    for button in ("submit", "close"):
        if view.get("type") == "home" and button in view:
            out.append(f"{button}: not allowed in a home view")
        _length(out, f"{button}.text", _text(view.get(button)), VIEW_BUTTON_MAX)
    _length(out, "private_metadata", view.get("private_metadata"), PRIVATE_METADATA_MAX)
    _length(out, "callback_id", view.get("callback_id"), CALLBACK_ID_MAX)
    blocks = _as_blocks(view.get("blocks"))
    _count(out, "blocks", blocks, VIEW_BLOCKS_MAX)
    return out + _blocks(blocks)


def check_message(payload: Json) -> Json:
    """The payload unchanged, or BlockKitLimitError naming every violation."""
    return _raise_if(violations_in_message(payload), payload)


def check_view(view: Json) -> Json:
    """The view unchanged, or BlockKitLimitError naming every violation."""
    return _raise_if(violations_in_view(view), view)


def _raise_if(violations: list[str], checked: Json) -> Json:
    if violations:
        raise BlockKitLimitError(violations)
    return checked


def _as_blocks(blocks: Any) -> list[Json]:
    # Payloads may carry blocks as a JSON string (form encoding) or as slack_sdk model objects.
    if isinstance(blocks, str):
        blocks = json.loads(blocks)
    return [b.to_dict() if hasattr(b, "to_dict") else b for b in blocks or []]


def _blocks(blocks: list[Json]) -> list[str]:
    out: list[str] = []
    for i, block in enumerate(blocks):
        _block(out, f"blocks[{i}]", block)
    return out


def _block(out: list[str], path: str, block: Json) -> None:
    _length(out, f"{path}.block_id", block.get("block_id"), BLOCK_ID_MAX)
    kind = block.get("type")
    if kind == "section":
        _length(out, f"{path}.text.text", _text(block.get("text")), SECTION_TEXT_MAX)
        fields = block.get("fields") or []
        _count(out, f"{path}.fields", fields, FIELDS_MAX)
        for j, field in enumerate(fields):
            _length(out, f"{path}.fields[{j}].text", _text(field), FIELD_TEXT_MAX)
        if "accessory" in block:
            _element(out, f"{path}.accessory", block["accessory"])
    elif kind == "header":
        _length(out, f"{path}.text.text", _text(block.get("text")), HEADER_TEXT_MAX)
    elif kind == "context":
        _count(out, f"{path}.elements", block.get("elements") or [], CONTEXT_ELEMENTS_MAX)
    elif kind == "actions":
        elements = block.get("elements") or []
        _count(out, f"{path}.elements", elements, ACTIONS_ELEMENTS_MAX)
        for j, element in enumerate(elements):
            _element(out, f"{path}.elements[{j}]", element)
    elif kind == "input":
        _length(out, f"{path}.label.text", _text(block.get("label")), INPUT_LABEL_MAX)
        _length(out, f"{path}.hint.text", _text(block.get("hint")), INPUT_LABEL_MAX)
        if "element" in block:
            _element(out, f"{path}.element", block["element"])


def _element(out: list[str], path: str, element: Json) -> None:
    _length(out, f"{path}.action_id", element.get("action_id"), ACTION_ID_MAX)
    _length(out, f"{path}.placeholder.text", _text(element.get("placeholder")), PLACEHOLDER_MAX)
    if element.get("type") == "button":
        _length(out, f"{path}.text.text", _text(element.get("text")), BUTTON_TEXT_MAX)
        _length(out, f"{path}.value", element.get("value"), BUTTON_VALUE_MAX)
        _length(out, f"{path}.url", element.get("url"), URL_MAX)
    _options(out, f"{path}.options", element.get("options"))
    groups = element.get("option_groups") or []
    _count(out, f"{path}.option_groups", groups, OPTIONS_MAX)
    for j, group in enumerate(groups):
        _options(out, f"{path}.option_groups[{j}].options", group.get("options"))
    if "initial_option" in element:
        _option(out, f"{path}.initial_option", element["initial_option"])
    for j, option in enumerate(element.get("initial_options") or []):
        _option(out, f"{path}.initial_options[{j}]", option)


def _options(out: list[str], path: str, options: list[Json] | None) -> None:
    _count(out, path, options or [], OPTIONS_MAX)
    for j, option in enumerate(options or []):
        _option(out, f"{path}[{j}]", option)


def _option(out: list[str], path: str, option: Json) -> None:
    _length(out, f"{path}.text.text", _text(option.get("text")), OPTION_TEXT_MAX)
    _length(out, f"{path}.value", option.get("value"), OPTION_VALUE_MAX)
    _length(out, f"{path}.description.text", _text(option.get("description")), OPTION_TEXT_MAX)


def _text(obj: Any) -> str | None:
    text = obj.get("text") if isinstance(obj, dict) else None
    return text if isinstance(text, str) else None


def _length(out: list[str], path: str, value: Any, limit: int) -> None:
    if isinstance(value, str) and len(value) > limit:
        out.append(f"{path}: {len(value)} > {limit}")


def _count(out: list[str], path: str, items: list[Any], limit: int) -> None:
    if len(items) > limit:
        out.append(f"{path}: {len(items)} items > {limit}")


def _text_lengths(node: Any) -> Iterable[int]:
    """Length of every text string anywhere below `node`: what Slack adds up for its cap."""
    if isinstance(node, list):
        for item in node:
            yield from _text_lengths(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                yield len(value)
            else:
                yield from _text_lengths(value)
