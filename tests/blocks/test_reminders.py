"""The reminder a lead reads and the escalation a channel reads: who, how late, what to do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from bot.blocks.handoff import APPROVE, REJECT, REQUEST_CHANGES
from bot.blocks.limits import violations_in_message
from bot.blocks.reminders import SNOOZES, escalation_message, reminder_message
from models.enums import Decision, HandoffStatus, Role, Stage
from models.schemas.projects import HandoffView, PacketLine, SignOffLine
from tests.slackbot.flow import text_of

REQUESTED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def view(
    *, status: HandoffStatus = HandoffStatus.PENDING, name: str = "Churn model", **decided: Any
) -> HandoffView:
    def line(role: Role, lead: str) -> SignOffLine:
        state = decided.get(role.value)
        return SignOffLine(
            role=role, label=role.label, lead=lead, state=state, decided_by=lead if state else None
        )

    return HandoffView(
        id=7,
        team_id="THOME",
        project_key="churn-model",
        project_name=name,
        channel_id="CCHURN",
        from_stage=Stage.MANAGE,
        to_stage=Stage.DEVELOP,
        status=status,
        round=1,
        packet=[PacketLine(key="objective", label="Objective", value="Predict churn")],
        checklist=[line(Role.DOMAIN_EXPERT, "UDOM"), line(Role.ML_ARCHITECT, "UARCH")],
        requested_by="UDS",
        requested_at=REQUESTED,
        due_at=REQUESTED + timedelta(hours=48),
        closed_at=None,
        version=1,
    )


def action_ids(message: dict[str, Any]) -> list[str]:
    return [
        e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]


def test_the_reminder_says_how_late_and_carries_the_decision_buttons() -> None:
    message = reminder_message(view(), Role.ML_ARCHITECT, 5)
    said = text_of(message)
    assert "*ML architect*" in said and "5 hours overdue" in said
    assert "churn-model" in message["text"]
    assert action_ids(message) == [APPROVE, REQUEST_CHANGES, REJECT, *SNOOZES]
    assert violations_in_message(message) == []


def test_a_reminder_delivered_after_the_decision_does_not_ask_again() -> None:
    decided = view(ml_architect=Decision.APPROVED)
    said = text_of(reminder_message(decided, Role.ML_ARCHITECT, 0))
    assert "no longer waits on you" in said and "overdue" not in said
    closed = reminder_message(view(status=HandoffStatus.CANCELLED), Role.ML_ARCHITECT)
    assert action_ids(closed) == []


def test_the_escalation_names_the_approver_and_the_architect_lead() -> None:
    message = escalation_message(view(), Role.DOMAIN_EXPERT, "UDOM", "UARCH")
    said = text_of(message)
    assert "twice its sign-off time" in said and "*Domain expert / business translator*" in said
    assert "<@UDOM>" in said and "<@UARCH>, as ML architect lead" in said
    assert action_ids(message) == []
    assert violations_in_message(message) == []


def test_the_escalation_without_an_architect_lead_says_how_to_assign_one() -> None:
    said = text_of(escalation_message(view(), Role.DOMAIN_EXPERT, None, None))
    assert "no ML architect lead" in said
    assert "/mlops role assign churn-model architect @user lead" in said


def test_typed_names_cannot_ping_anyone() -> None:
    sneaky = view(name="<!channel> & <@U999>")
    for message in (
        reminder_message(sneaky, Role.ML_ARCHITECT, 1),
        escalation_message(sneaky, Role.ML_ARCHITECT, "UARCH", None),
    ):
        said = text_of(message)
        assert "<!channel>" not in said and "<@U999>" not in said
        assert "&lt;!channel&gt; &amp; &lt;@U999&gt;" in said


def test_a_user_field_of_the_packet_is_a_mention_on_the_card_and_in_the_dm() -> None:
    from bot.blocks.handoff import card_message, received_message

    packet = [
        PacketLine(key="owner", label="On-call owner", value="UONCALL", type="user"),
        PacketLine(key="note", label="Note", value="<!channel> UONCALL", type="text"),
        PacketLine(key="bad", label="Bad", value="<!here>", type="user"),
    ]
    shown = view().model_copy(update={"packet": packet})
    for message in (card_message(shown), received_message(shown)):
        said = text_of(message)
        assert "*On-call owner*\n<@UONCALL>" in said
        assert "&lt;!channel&gt; UONCALL" in said and "<@UONCALL> " not in said
        assert "&lt;!here&gt;" in said and "<!here>" not in said  # not an id: text, no ping
