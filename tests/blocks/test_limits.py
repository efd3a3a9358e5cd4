"""Our Block Kit guard names every limit a payload breaks, by path, before Slack rejects it."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.models.blocks import SectionBlock

from bot.blocks.limits import (
    BlockKitLimitError,
    check_message,
    check_view,
    violations_in_message,
    violations_in_view,
)
from bot.blocks.text import FIELD_TEXT_MAX, SECTION_TEXT_MAX, cut

Json = dict[str, Any]


def mrkdwn(text: str) -> Json:
    return {"type": "mrkdwn", "text": text}


def plain(text: str) -> Json:
    return {"type": "plain_text", "text": text}


def section(text: str = "ok", **extra: Any) -> Json:
    return {"type": "section", "text": mrkdwn(text), **extra}


def button(text: str = "Approve", **extra: Any) -> Json:
    return {"type": "button", "text": plain(text), "action_id": "handoff.approve", **extra}


def option(text: str = "one", value: str = "1") -> Json:
    return {"text": plain(text), "value": value}


def select(**extra: Any) -> Json:
    return {"type": "static_select", "action_id": "pick", "options": [option()], **extra}


def actions(*elements: Json) -> Json:
    return {"type": "actions", "elements": list(elements)}


def input_block(element: Json | None = None, **extra: Any) -> Json:
    element = element or {"type": "plain_text_input", "action_id": "value"}
    return {"type": "input", "label": plain("Reason"), "element": element, **extra}


def modal(**extra: Any) -> Json:
    return {"type": "modal", "title": plain("Request changes"), "blocks": [section()], **extra}


def test_a_message_within_every_limit_passes() -> None:
    payload = {
        "text": "Hand-off ready",
        "blocks": [
            {"type": "header", "text": plain("churn-model")},
            section("*Stage*: deploy", accessory=select()),
            {"type": "section", "fields": [mrkdwn("a"), mrkdwn("b")]},
            {"type": "context", "elements": [mrkdwn("by <@U123>")]},
            actions(button(value="42"), button("Docs", url="https://example.com")),
            input_block(),
            {"type": "divider"},
        ],
    }
    assert violations_in_message(payload) == []
    assert check_message(payload) is payload


@pytest.mark.parametrize(
    ("blocks", "violation"),
    [
        (
            [section(), section(), section(), section("x" * 3120)],
            "blocks[3].text.text: 3120 > 3000",
        ),
        ([section("x" * 3000), section(block_id="b" * 256)], "blocks[1].block_id: 256 > 255"),
        ([{"type": "header", "text": plain("h" * 151)}], "blocks[0].text.text: 151 > 150"),
        (
            [{"type": "section", "fields": [mrkdwn("f")] * 11}],
            "blocks[0].fields: 11 items > 10",
        ),
        (
            [{"type": "section", "fields": [mrkdwn("f"), mrkdwn("f" * 2001)]}],
            "blocks[0].fields[1].text: 2001 > 2000",
        ),
        (
            [{"type": "context", "elements": [mrkdwn("c")] * 11}],
            "blocks[0].elements: 11 items > 10",
        ),
        ([actions(*[button()] * 26)], "blocks[0].elements: 26 items > 25"),
        ([actions(button(), button("b" * 76))], "blocks[0].elements[1].text.text: 76 > 75"),
        ([actions(button(value="v" * 2001))], "blocks[0].elements[0].value: 2001 > 2000"),
        ([actions(button(action_id="a" * 256))], "blocks[0].elements[0].action_id: 256 > 255"),
        (
            [actions(button(url="https://x/" + "u" * 2991))],
            "blocks[0].elements[0].url: 3001 > 3000",
        ),
        ([section(accessory=button("b" * 80))], "blocks[0].accessory.text.text: 80 > 75"),
        ([input_block(label=plain("l" * 2001))], "blocks[0].label.text: 2001 > 2000"),
        ([input_block(hint=plain("h" * 2001))], "blocks[0].hint.text: 2001 > 2000"),
        (
            [input_block({"type": "plain_text_input", "placeholder": plain("p" * 151)})],
            "blocks[0].element.placeholder.text: 151 > 150",
        ),
        (
            [input_block(select(options=[option()] * 101))],
            "blocks[0].element.options: 101 items > 100",
        ),
        (
            [actions(select(options=[option(), option("o" * 76)]))],
            "blocks[0].elements[0].options[1].text.text: 76 > 75",
        ),
        (
            [actions(select(options=[option(value="v" * 151)]))],
            "blocks[0].elements[0].options[0].value: 151 > 150",
        ),
        (
            [actions(select(options=None, option_groups=[{"options": [option(value="v" * 151)]}]))],
            "blocks[0].elements[0].option_groups[0].options[0].value: 151 > 150",
        ),
        (
            [actions(select(initial_option=option("i" * 76)))],
            "blocks[0].elements[0].initial_option.text.text: 76 > 75",
        ),
    ],
)
def test_each_broken_limit_is_named_by_path(blocks: list[Json], violation: str) -> None:
    assert violations_in_message({"text": "t", "blocks": blocks}) == [violation]


def test_more_than_fifty_blocks_in_a_message() -> None:
    payload = {"text": "t", "blocks": [{"type": "divider"}] * 51}
    assert violations_in_message(payload) == ["blocks: 51 items > 50"]


def test_the_aggregate_text_of_all_blocks_is_capped() -> None:
    at_cap = {"text": "t", "blocks": [section("x" * 3000)] * 4}
    over = {"text": "t", "blocks": [section("x" * 2500)] * 4 + [actions(button("y" * 50))] * 45}
    assert violations_in_message(at_cap) == []
    assert violations_in_message(over) == ["blocks (all text): 12250 > 12000"]


def test_top_level_text_is_capped() -> None:
    assert violations_in_message({"text": "t" * 40001}) == ["text: 40001 > 40000"]


def test_blocks_may_arrive_as_a_json_string_or_sdk_models() -> None:
    as_json = {"text": "t", "blocks": json.dumps([section("x" * 3001)])}
    as_models = {"text": "t", "blocks": [SectionBlock(text="fine"), section("x" * 3001)]}
    assert violations_in_message(as_json) == ["blocks[0].text.text: 3001 > 3000"]
    assert violations_in_message(as_models) == ["blocks[1].text.text: 3001 > 3000"]


def test_check_message_lists_every_violation() -> None:
    payload = {"text": "t", "blocks": [section("x" * 3001), section(block_id="b" * 300)]}
    with pytest.raises(BlockKitLimitError) as raised:
        check_message(payload)
    assert isinstance(raised.value, ValueError)
    assert raised.value.violations == [
        "blocks[0].text.text: 3001 > 3000",
        "blocks[1].block_id: 300 > 255",
    ]
    assert "blocks[0].text.text: 3001 > 3000; blocks[1].block_id" in str(raised.value)


# -- views ---------------------------------------------------------------------------------------
def test_a_modal_and_a_home_within_limits_pass() -> None:
    view = modal(submit=plain("Send"), close=plain("Cancel"), private_metadata="42")
    home = {"type": "home", "blocks": [section()] * 100}
    assert violations_in_view(view) == []
    assert violations_in_view(home) == []
    assert check_view(view) is view


@pytest.mark.parametrize(
    ("view", "violation"),
    [
        (modal(title=plain("t" * 25)), "title.text: 25 > 24"),
        (modal(title=plain("")), "title.text: missing, a modal needs a title"),
        (modal(submit=plain("s" * 25)), "submit.text: 25 > 24"),
        (modal(close=plain("c" * 30)), "close.text: 30 > 24"),
        (modal(private_metadata="m" * 3001), "private_metadata: 3001 > 3000"),
        (modal(callback_id="c" * 256), "callback_id: 256 > 255"),
        (modal(blocks=[section()] * 101), "blocks: 101 items > 100"),
        (modal(blocks=[input_block(label=plain("l" * 2001))]), "blocks[0].label.text: 2001 > 2000"),
        (
            {"type": "home", "blocks": [], "submit": plain("Go")},
            "submit: not allowed in a home view",
        ),
    ],
)
def test_each_broken_view_limit_is_named(view: Json, violation: str) -> None:
    assert violations_in_view(view) == [violation]


def test_check_view_raises_with_the_violations() -> None:
    with pytest.raises(BlockKitLimitError, match=r"title\.text: 30 > 24"):
        check_view(modal(title=plain("t" * 30)))


# -- property: text cut to each limit never breaks one --------------------------------------------
@given(st.lists(st.text(max_size=4000), max_size=8), st.text(max_size=3000))
def test_text_cut_to_its_limit_never_violates(sections: list[str], field: str) -> None:
    blocks = [section(cut(t, SECTION_TEXT_MAX)) for t in sections[:3]]
    blocks.append({"type": "section", "fields": [mrkdwn(cut(field, FIELD_TEXT_MAX))]})
    assert violations_in_message({"text": "t", "blocks": blocks}) == []
