"""One Slack-id rule (models/rules.py), the same everywhere a Slack id is read or written."""

from __future__ import annotations

import pytest

from bot.blocks.text import channel, user
from handlers import parsing, project_setup
from models import packet_fields, rules

TOO_LONG = "U" + "A" * 32  # 33 characters: no String(32) column holds it


@pytest.mark.parametrize("text", ["U1", "UAB" + "C" * 30, "C0123", "u0123", "X0123", ""])
def test_not_a_user_id_anywhere(text):
    assert not rules.SLACK_USER.fullmatch(text)
    assert user(text) != f"<@{text}>"
    assert not parsing.MENTION.fullmatch(f"<@{text}>")
    assert packet_fields.SLACK_USER is rules.SLACK_USER


def test_a_user_id_is_one_everywhere():
    for text in ("U012", "W0123ABCD", "U" + "A" * 31):
        assert rules.SLACK_USER.fullmatch(text)
        assert user(text) == f"<@{text}>"
        assert parsing.MENTION.fullmatch(f"<@{text}|dana>").group(1) == text


def test_channel_ids_have_their_bounds():
    assert channel("C0123") == "<#C0123>"
    assert channel("C" + "A" * 40) != "<#C" + "A" * 40 + ">"
    assert parsing.CHANNEL.fullmatch("<#G0123|ml>").group(1) == "G0123"
    assert not parsing.CHANNEL.fullmatch("<#U0123|ml>")


def test_the_set_up_pickers_read_slack_ids_by_the_same_rules():
    """A people picker takes only user ids, the channel picker only channel ids."""
    assert project_setup.SLACK_USER is rules.SLACK_USER
    assert project_setup.SLACK_CHANNEL is rules.SLACK_CHANNEL
    assert rules.SLACK_USER.fullmatch("U0123") and rules.SLACK_USER.fullmatch("W0123")
    assert rules.SLACK_CHANNEL.fullmatch("C0123") and rules.SLACK_CHANNEL.fullmatch("G0123")
    assert not rules.SLACK_USER.fullmatch("C0123") and not rules.SLACK_CHANNEL.fullmatch("U0123")
    for text in ("0123", "A1", TOO_LONG, "Z0123"):
        assert not rules.SLACK_USER.fullmatch(text) and not rules.SLACK_CHANNEL.fullmatch(text)


def test_one_number_rule():
    assert parsing.NUMBER is rules.NUMBER is packet_fields.NUMBER
    assert all(rules.NUMBER.fullmatch(t) for t in ("3", "-1.5", ".5", "2e-3"))
    assert not any(rules.NUMBER.fullmatch(t) for t in ("", ".", "1e", "nan", "0x1"))
