"""BATON_COMMAND renames the slash command, and every hint Baton gives names it as configured."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.blocks.text import use_slash_command
from handlers.registry import DEFAULT_COMMAND
from tests.slackbot.flow import text_of

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def bot_settings() -> Iterator[dict[str, object]]:
    yield {"baton_command": "/baton"}
    use_slash_command(DEFAULT_COMMAND)  # the process-wide name, for the tests that follow


def _said(bot, text: str, user: str, **kw) -> str:
    return text_of(bot.reply(text, user=user, slash="/baton", **kw))


def test_replies_hint_at_the_configured_command(bot, slack):
    empty = _said(bot, "project list", "UALICE")
    assert "`/baton project create &lt;key&gt; [name]`" in empty
    created = _said(bot, "project create fraud-v2 Fraud", "UALICE", channel="CFRAUD")
    assert "`/baton role assign fraud-v2 &lt;role&gt; @user lead`" in created
    no_monitors = _said(bot, "monitor list fraud-v2", "UALICE")
    assert "`/baton monitor add fraud-v2 &lt;metric&gt;" in no_monitors
    said = _said(bot, "help", "UALICE")
    assert "`/baton status &lt;key&gt;`" in said and "/mlops" not in said
    assert "/mlops" not in empty + created + no_monitors


def test_an_alert_without_an_owner_lead_hints_at_the_configured_command(bot, slack, seeded):
    added = _said(bot, f"monitor add {seeded.key} auc min 0.8 owner analyst", seeded.ds)
    assert f"`/baton metric {seeded.key} auc &lt;value&gt;`" in added
    _said(bot, f"metric {seeded.key} auc 0.5", seeded.ds)
    bot.deliver()
    alert = text_of(slack.last_message(seeded.channel))
    assert f"`/baton role assign {seeded.key} data_analyst @user lead`" in alert


def test_usage_errors_name_the_configured_command(bot, slack):
    said = _said(bot, "status", "UALICE")
    assert said.endswith("Usage: `/baton status &lt;key&gt;`")


def test_no_hint_spells_the_default_command_by_hand():
    """Hints name `slash_command()` (bot/blocks/text.py), never a literal /mlops."""
    literal = re.compile(r"[`'\"]/mlops\b")
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for folder in ("bot/blocks", "handlers", "models/services")
        for path in sorted((ROOT / folder).rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if literal.search(line) and not line.lstrip().startswith(("#", '"""', "DEFAULT_SLASH"))
    ]
    assert found == []
