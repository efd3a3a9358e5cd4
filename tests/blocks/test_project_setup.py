"""The set-up modal's text: the home channel goes through the one channel-link builder."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.blocks.project_setup import edit_view
from models.enums import Stage
from models.schemas.projects import ProjectSummary


def _summary(channel_id: str) -> ProjectSummary:
    return ProjectSummary(
        key="churn-model",
        name="Churn <!channel>",
        stage=Stage.MANAGE,
        channel_id=channel_id,
        created_by="UCREATOR",
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
    )


def _heading(channel_id: str) -> str:
    return edit_view(_summary(channel_id), [], [])["blocks"][0]["text"]["text"]


def test_a_trusted_channel_id_is_a_channel_link():
    assert "home channel <#CCHURN>" in _heading("CCHURN")


def test_a_channel_id_that_is_not_one_is_shown_escaped_and_never_pings():
    heading = _heading("C1>|<!channel")
    assert "<!channel" not in heading and "<#C1>" not in heading
    assert "&lt;!channel" in heading
