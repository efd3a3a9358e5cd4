"""Block Kit → HTML fragments for the sandbox page: messages, modals as forms, App Home.

Pure functions of the payloads Baton sent. Text goes through `mrkdwn_to_html` or
`plain_to_html`; ids and values land in attributes through `esc`. Interactive elements
carry only their block and action ids: the emulator reads values back from the stored
blocks, as Slack does, so the page cannot forge a button's value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.sandbox.mrkdwn import Directory, esc, mrkdwn_to_html, plain_to_html
from bot.sandbox.workspace import BOT_USER

Block = dict[str, Any]
REQUIRED_MISSING = "Please fill out this field."


@dataclass(frozen=True)
class Form:
    """A modal's inline errors (block_id → message) and the values last typed into it."""

    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, dict[str, Any]] = field(default_factory=dict)

    def current(self, block_id: str, action_id: str) -> dict[str, Any] | None:
        return (self.values.get(block_id) or {}).get(action_id)


def text_html(obj: Any, names: Directory) -> str:
    """A text object, whichever kind; a bare string is plain text."""
    if isinstance(obj, str):
        return plain_to_html(obj)
    if not isinstance(obj, dict):
        return ""
    if obj.get("type") == "mrkdwn":
        return mrkdwn_to_html(str(obj.get("text", "")), names)
    return plain_to_html(str(obj.get("text", "")), emoji=bool(obj.get("emoji", True)))


def blocks_html(blocks: list[Block], names: Directory, form: Form | None = None) -> str:
    return "".join(block_html(b, names, form or Form()) for b in blocks if isinstance(b, dict))


def block_html(block: Block, names: Directory, form: Form) -> str:
    kind = str(block.get("type", ""))
    render = _BLOCKS.get(kind)
    if render is None:
        return f'<div class="bk-unsupported">Block type “{esc(kind)}” is not shown here.</div>'
    return render(block, names, form)


def _header(block: Block, names: Directory, form: Form) -> str:
    return f'<h3 class="bk-header">{text_html(block.get("text"), names)}</h3>'


def _section(block: Block, names: Directory, form: Form) -> str:
    parts = []
    if block.get("text"):
        parts.append(f'<div class="bk-text">{text_html(block["text"], names)}</div>')
    if block.get("fields"):
        cells = "".join(
            f'<div class="bk-field">{text_html(f, names)}</div>' for f in block["fields"]
        )
        parts.append(f'<div class="bk-fields">{cells}</div>')
    accessory = block.get("accessory")
    if isinstance(accessory, dict):
        element = element_html(accessory, _block_id(block), names, form)
        parts.append(f'<div class="bk-accessory">{element}</div>')
    return f'<section class="bk-section">{"".join(parts)}</section>'


def _context(block: Block, names: Directory, form: Form) -> str:
    items = []
    for element in block.get("elements") or []:
        if isinstance(element, dict) and element.get("type") == "image":
            items.append(_image_note(element))
        else:
            items.append(f"<span>{text_html(element, names)}</span>")
    return f'<div class="bk-context">{"".join(items)}</div>'


def _divider(block: Block, names: Directory, form: Form) -> str:
    return '<hr class="bk-divider">'


def _actions(block: Block, names: Directory, form: Form) -> str:
    block_id = _block_id(block)
    elements = "".join(
        element_html(e, block_id, names, form)
        for e in block.get("elements") or []
        if isinstance(e, dict)
    )
    return f'<div class="bk-actions" data-block-id="{esc(block_id)}">{elements}</div>'


def _image(block: Block, names: Directory, form: Form) -> str:
    return f'<div class="bk-image">{_image_note(block)}</div>'


def _image_note(element: Block) -> str:
    # No remote fetches from the page: an image shows as its alt text.
    return f'<span class="bk-image-alt">[image: {esc(str(element.get("alt_text", "")))}]</span>'


def _input(block: Block, names: Directory, form: Form) -> str:
    block_id = _block_id(block)
    element = block.get("element") if isinstance(block.get("element"), dict) else {}
    label = text_html(block.get("label"), names)
    optional = '<span class="bk-optional">(optional)</span>' if block.get("optional") else ""
    hint = block.get("hint")
    error = form.errors.get(block_id)
    return (
        f'<div class="bk-input{" bk-has-error" if error else ""}" data-block-id="{esc(block_id)}">'
        f'<label class="bk-label" for="{esc(_field_id(block_id))}">{label} {optional}</label>'
        f"{element_html(element, block_id, names, form, in_input=True)}"
        + (f'<div class="bk-hint">{text_html(hint, names)}</div>' if hint else "")
        + (f'<div class="bk-error" role="alert">{esc(error)}</div>' if error else "")
        + "</div>"
    )


def _block_id(block: Block) -> str:
    return str(block.get("block_id") or "")


def _field_id(block_id: str) -> str:
    return f"bk-field-{block_id}"


def element_html(
    element: Block, block_id: str, names: Directory, form: Form, *, in_input: bool = False
) -> str:
    kind = str(element.get("type", ""))
    render = _ELEMENTS.get(kind)
    if render is None:
        return f'<span class="bk-unsupported">Element “{esc(kind)}” is not shown here.</span>'
    attrs = _data_attrs(element, block_id, kind, in_input)
    return render(element, attrs, names, form.current(block_id, _action_id(element)))


def _action_id(element: Block) -> str:
    return str(element.get("action_id") or "")


def _data_attrs(element: Block, block_id: str, kind: str, in_input: bool) -> str:
    attrs = (
        f' data-block-id="{esc(block_id)}" data-action-id="{esc(_action_id(element))}"'
        f' data-kind="{esc(kind)}"'
    )
    if in_input:
        attrs += f' id="{esc(_field_id(block_id))}" data-input="1"'
    return attrs


def _button(element: Block, attrs: str, names: Directory, current: Any) -> str:
    style = str(element.get("style", ""))
    css = "bk-btn" + (f" bk-{style}" if style in ("primary", "danger") else "")
    label = text_html(element.get("text"), names)
    url = str(element.get("url") or "")
    if url.startswith(("http://", "https://")):
        return f'<a class="{css}" href="{esc(url)}" target="_blank" rel="noopener">{label}</a>'
    return f'<button type="button" class="{css}"{attrs}>{label}</button>'


def _text_input(element: Block, attrs: str, names: Directory, current: Any) -> str:
    value = (current or {}).get("value")
    if value is None:
        value = element.get("initial_value") or ""
    placeholder = element.get("placeholder")
    extra = f' placeholder="{esc(_plain(placeholder))}"' if placeholder else ""
    if element.get("max_length"):
        extra += f' maxlength="{int(element["max_length"])}"'
    if element.get("multiline"):
        return f'<textarea class="bk-control" rows="3"{attrs}{extra}>{esc(str(value))}</textarea>'
    kind = INPUT_TYPES.get(str(element.get("type")), "text")
    return f'<input type="{kind}" class="bk-control" value="{esc(str(value))}"{attrs}{extra}>'


# The browser control for each text-like input; numbers stay text, so Baton, not the browser, checks them.
INPUT_TYPES = {"plain_text_input": "text", "url_text_input": "url", "number_input": "text"}


def _select(element: Block, attrs: str, names: Directory, current: Any) -> str:
    chosen = (current or {}).get("selected_option") or element.get("initial_option") or {}
    selected = str(chosen.get("value", "")) if isinstance(chosen, dict) else ""
    placeholder = _plain(element.get("placeholder")) or "Select an item"
    options = [f'<option value="">{esc(placeholder)}</option>']
    for option in _options(element):
        value = str(option.get("value", ""))
        mark = " selected" if value == selected else ""
        options.append(
            f'<option value="{esc(value)}"{mark}>{text_html(option.get("text"), names)}</option>'
        )
    return f'<select class="bk-control"{attrs}>{"".join(options)}</select>'


def _options(element: Block) -> list[Block]:
    found = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        found += list(group.get("options") or [])
    return [o for o in found if isinstance(o, dict)]


def _datepicker(element: Block, attrs: str, names: Directory, current: Any) -> str:
    value = (current or {}).get("selected_date") or element.get("initial_date") or ""
    return f'<input type="date" class="bk-control" value="{esc(str(value))}"{attrs}>'


def _users_select(element: Block, attrs: str, names: Directory, current: Any) -> str:
    chosen = (current or {}).get("selected_user") if current else element.get("initial_user")
    return _picker(attrs, _people(names), {str(chosen or "")}, "Pick a person", multiple=False)


def _multi_users_select(element: Block, attrs: str, names: Directory, current: Any) -> str:
    chosen = (current or {}).get("selected_users") if current else element.get("initial_users")
    picked = {str(u) for u in chosen or []}
    return _picker(attrs, _people(names), picked, "", multiple=True)


def _conversations_select(element: Block, attrs: str, names: Directory, current: Any) -> str:
    if current:
        chosen = current.get("selected_conversation")
    else:
        chosen = element.get("initial_conversation")
    channels = sorted(names.channels.items(), key=lambda item: item[1])
    options = [(cid, f"# {name}") for cid, name in channels]
    return _picker(attrs, options, {str(chosen or "")}, "Pick a channel", multiple=False)


def _people(names: Directory) -> list[tuple[str, str]]:
    """Everyone a people picker offers: the workspace's people, not the app itself."""
    found = [(uid, name) for uid, name in names.users.items() if uid != BOT_USER]
    return sorted(found, key=lambda item: item[1])


def _picker(
    attrs: str, options: list[tuple[str, str]], chosen: set[str], prompt: str, *, multiple: bool
) -> str:
    items = [] if multiple else [f'<option value="">{esc(prompt)}</option>']
    for value, label in options:
        mark = " selected" if value in chosen else ""
        items.append(f'<option value="{esc(value)}"{mark}>{esc(label)}</option>')
    extra = ' multiple size="3"' if multiple else ""
    return f'<select class="bk-control"{attrs}{extra}>{"".join(items)}</select>'


def _plain(obj: Any) -> str:
    return str(obj.get("text", "")) if isinstance(obj, dict) else str(obj or "")


_BLOCKS: dict[str, Callable[[Block, Directory, Form], str]] = {
    "header": _header,
    "section": _section,
    "context": _context,
    "divider": _divider,
    "actions": _actions,
    "input": _input,
    "image": _image,
}
_ELEMENTS: dict[str, Callable[[Block, str, Directory, Any], str]] = {
    "button": _button,
    "plain_text_input": _text_input,
    "url_text_input": _text_input,
    "number_input": _text_input,
    "static_select": _select,
    "users_select": _users_select,
    "datepicker": _datepicker,
    "multi_users_select": _multi_users_select,
    "conversations_select": _conversations_select,
}
