"""Alert and monitor messages: what they say in each state, escaped, within Block Kit limits."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.blocks import alerts, monitors
from bot.blocks.limits import violations_in_message
from models.enums import Role
from models.schemas.monitoring import AlertView, MonitorView
from tests.slackbot.flow import buttons, text_of

OPENED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def alert(**changes: Any) -> AlertView:
    base: dict[str, Any] = {
        "id": 7,
        "team_id": "THOME",
        "project_key": "churn-model",
        "project_name": "Churn <!channel> & co",
        "channel_id": "CCHURN",
        "metric": "auc",
        "direction": "min",
        "threshold": 0.8,
        "value": 0.7,
        "status": "open",
        "owner_role": Role.DATA_SCIENTIST,
        "owner_user": "UDS",
        "opened_at": OPENED,
        "acknowledged_by": None,
        "acknowledged_at": None,
        "escalated_at": None,
        "resolved_at": None,
        "message_ts": None,
    }
    return AlertView(**{**base, **changes})


def checked(payload: dict[str, Any]) -> dict[str, Any]:
    assert violations_in_message(payload) == []
    return payload


def test_an_open_alert_escapes_user_text_and_offers_both_buttons() -> None:
    msg = checked(alerts.opened_message(alert()))
    assert "Churn &lt;!channel&gt; &amp; co" in text_of(msg) and "<!channel>" not in text_of(msg)
    assert buttons(msg) == ["Acknowledge", "Open retrain hand-off"]
    values = {e["value"] for b in msg["blocks"] if b["type"] == "actions" for e in b["elements"]}
    assert values == {"7"}


def test_an_alert_rendered_late_shows_its_current_state() -> None:
    acked = checked(alerts.opened_message(alert(status="acknowledged", acknowledged_by="UDE")))
    assert "acknowledged by <@UDE>" in text_of(acked)
    assert buttons(acked) == ["Open retrain hand-off"]
    assert buttons(checked(alerts.opened_message(alert(status="resolved")))) == []


def test_no_owner_lead_says_how_to_assign_one() -> None:
    said = text_of(alerts.opened_message(alert(owner_user=None)))
    assert "no Data scientist lead to ping" in said and "role assign churn-model" in said


def test_replies_thread_under_the_alert_once_its_message_is_known() -> None:
    assert "thread_ts" not in alerts.resolved_message(alert(), 0.9)
    threaded = alerts.resolved_message(alert(message_ts="1.5"), 0.9)
    assert threaded["thread_ts"] == "1.5" and "reply_broadcast" not in threaded
    escalated = alerts.escalated_message(
        alert(message_ts="1.5", escalated_at=OPENED + timedelta(minutes=31)), "UARCH"
    )
    assert escalated["reply_broadcast"] is True
    assert "for 31 minutes" in text_of(escalated) and "<@UARCH>" in text_of(escalated)


def test_monitor_list_fits_many_monitors_within_limits() -> None:
    views = [
        MonitorView(
            id=n,
            project_key="churn-model",
            metric=f"metric_{n}",
            direction="max",
            threshold=n,
            owner_role=Role.DATA_SCIENTIST,
            source_kind="json",
            source_url="https://metrics.example/" + "x" * 500,
            source_query="a.b",
            poll_seconds=300,
            last_value=None,
            last_observed_at=None,
            last_error="<@U1> " + "e" * 400,
            open_alert=None,
            created_by="UDS",
            created_at=OPENED,
        )
        for n in range(80)
    ]
    msg = checked(monitors.monitor_list("churn-model", views, OPENED))
    assert "&lt;@U1&gt;" in text_of(msg) and "<@U1>" not in text_of(msg)
