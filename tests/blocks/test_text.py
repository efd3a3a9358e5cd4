"""Text that reaches Slack: nobody gets pinged by what a user typed, and cuts stay well-formed."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st
from slack_sdk.models.blocks import (
    ActionsBlock,
    Block,
    ContextBlock,
    HeaderBlock,
    InputBlock,
    SectionBlock,
)
from slack_sdk.models.blocks.basic_components import Option
from slack_sdk.models.blocks.block_elements import (
    ButtonElement,
    InputInteractiveElement,
    InteractiveElement,
    StaticSelectElement,
)
from slack_sdk.models.views import View

from bot.blocks import text
from bot.blocks.text import ELLIPSIS, channel, cut, cut_plain, escape, unescape, user

ENTITY = re.compile(r"&(?:amp|lt|gt);")
# Text rich in the characters that matter: control characters, entity look-alikes, emoji.
tricky = st.text(alphabet=st.sampled_from([*"ab &<>;@!#|ampltg", "😀", "\n"]), max_size=80)


# -- escape --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("<!channel> look", "&lt;!channel&gt; look"),
        ("<!here>", "&lt;!here&gt;"),
        ("ping <@U123ABC>", "ping &lt;@U123ABC&gt;"),
        ("R&D <3", "R&amp;D &lt;3"),
        ("already &amp;", "already &amp;amp;"),
        ("plain *bold* _it_", "plain *bold* _it_"),
    ],
)
def test_user_typed_control_characters_are_escaped(typed: str, shown: str) -> None:
    assert escape(typed) == shown


@given(tricky)
def test_escaped_text_has_no_angle_brackets_and_unescapes_back(typed: str) -> None:
    escaped = escape(typed)
    assert "<" not in escaped
    assert ">" not in escaped
    assert "&" not in ENTITY.sub("", escaped), "every & starts one of our entities"
    assert unescape(escaped) == typed


def test_unescape_reads_slash_command_text() -> None:
    assert unescape("&lt;@U123&gt; R&amp;D &amp;lt;") == "<@U123> R&D &lt;"


# -- cut -----------------------------------------------------------------------------------------
def test_short_text_is_left_alone() -> None:
    assert cut("churn model", 11) == "churn model"


def test_long_text_ends_in_an_ellipsis_within_the_limit() -> None:
    assert cut("churn model v2", 8) == "churn m…"
    assert cut("abcdef", 1) == ELLIPSIS
    assert cut("abcdef", 0) == ""


def test_cut_drops_trailing_space_before_the_ellipsis() -> None:
    assert cut("churn model", 7) == "churn…"


def test_cut_never_leaves_half_an_entity() -> None:
    escaped = escape("R&D ok")  # "R&amp;D ok"
    assert [cut(escaped, n) for n in range(2, 7)] == ["R…"] * 5
    assert cut(escaped, 8) == "R&amp;D…"


def test_cut_drops_a_mention_it_cannot_keep_whole() -> None:
    assert cut("asked by <@U123ABC> today", 15) == "asked by…"
    assert cut("see <https://example.com|the run> now", 20) == "see…"


def test_cut_keeps_a_lone_typed_angle_bracket() -> None:
    # Raw user text cut before escaping: a plain "<" is not one of our tokens.
    assert cut("a < b and more", 8) == "a < b a…"


@given(tricky, st.integers(min_value=0, max_value=100))
def test_cut_respects_the_limit_and_entity_boundaries(typed: str, limit: int) -> None:
    escaped = escape(typed)
    result = cut(escaped, limit)
    assert len(result) <= limit
    if len(escaped) <= limit:
        assert result == escaped
        return
    kept = result.removesuffix(ELLIPSIS)
    assert escaped.startswith(kept)
    assert "&" not in ENTITY.sub("", kept), f"half an entity in {kept!r}"
    assert result == "" or result.endswith(ELLIPSIS)


# -- plain ---------------------------------------------------------------------------------------
def test_plain_text_is_cut_but_not_escaped() -> None:
    assert cut_plain("<b> & co") == "<b> & co"
    assert cut_plain("Approve & ship it", 10) == "Approve &…"


@given(st.text(max_size=200), st.integers(min_value=0, max_value=150))
def test_plain_respects_the_limit(typed: str, limit: int) -> None:
    assert len(cut_plain(typed, limit)) <= limit


# -- mentions ------------------------------------------------------------------------------------
@pytest.mark.parametrize("user_id", ["U123ABC", "W0ENTERPRISE", "U01"])
def test_a_slack_user_id_becomes_a_mention(user_id: str) -> None:
    assert user(user_id) == f"<@{user_id}>"


@pytest.mark.parametrize(
    ("not_an_id", "shown"),
    [
        ("<!channel>", "&lt;!channel&gt;"),
        ("U123> <!here", "U123&gt; &lt;!here"),
        ("u123abc", "u123abc"),
        ("U_ADMIN", "U_ADMIN"),
        ("U1", "U1"),
        ("", ""),
    ],
)
def test_anything_else_is_shown_as_text(not_an_id: str, shown: str) -> None:
    assert user(not_an_id) == shown


def test_channel_ids_become_links_and_the_rest_text() -> None:
    assert channel("C0123ABC") == "<#C0123ABC>"
    assert channel("G01ABC") == "<#G01ABC>"
    assert channel("<!everyone>") == "&lt;!everyone&gt;"
    assert channel("#general") == "#general"


# -- limits agree with slack_sdk's own models ----------------------------------------------------
@pytest.mark.parametrize(
    ("ours", "sdk"),
    [
        (text.SECTION_TEXT_MAX, SectionBlock.text_max_length),
        (text.FIELDS_MAX, SectionBlock.fields_max_length),
        (text.HEADER_TEXT_MAX, HeaderBlock.text_max_length),
        (text.BUTTON_TEXT_MAX, ButtonElement.text_max_length),
        (text.BUTTON_VALUE_MAX, ButtonElement.value_max_length),
        (text.URL_MAX, ButtonElement.url_max_length),
        (text.ACTION_ID_MAX, InteractiveElement.action_id_max_length),
        (text.BLOCK_ID_MAX, Block.block_id_max_length),
        (text.CONTEXT_ELEMENTS_MAX, ContextBlock.elements_max_length),
        (text.ACTIONS_ELEMENTS_MAX, ActionsBlock.elements_max_length),
        (text.INPUT_LABEL_MAX, InputBlock.label_max_length),
        (text.PLACEHOLDER_MAX, InputInteractiveElement.placeholder_max_length),
        (text.OPTIONS_MAX, StaticSelectElement.options_max_length),
        (text.OPTION_TEXT_MAX, Option.label_max_length),
        (text.OPTION_VALUE_MAX, Option.value_max_length),
        (text.MODAL_TITLE_MAX, View.title_max_length),
        (text.VIEW_BUTTON_MAX, View.submit_max_length),
        (text.VIEW_BLOCKS_MAX, View.blocks_max_length),
        (text.PRIVATE_METADATA_MAX, View.private_metadata_max_length),
        (text.CALLBACK_ID_MAX, View.callback_id_max_length),
    ],
)
def test_limits_match_slack_sdk(ours: int, sdk: int) -> None:
    assert ours == sdk


def test_limits_slack_sdk_does_not_encode() -> None:
    assert text.FIELD_TEXT_MAX == 2000
    assert text.MESSAGE_BLOCKS_MAX == 50
    assert text.MESSAGE_TEXT_TOTAL_MAX == 12000
    assert text.TOP_TEXT_MAX == 40000
