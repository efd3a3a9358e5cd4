"""What an outbox row says: one small class per topic, stored as its topic plus its fields.

Domain code queues an instance (models/services/outbox.py); the deliverer reads the row back
into its class (`read`) and renders it by class (bot/renderers.py for Slack, bot/sinks.py for
the other sinks). A row is stored as it always was: `topic`, the `project_id` and `handoff_id`
columns, and the other fields as the `data` JSON, so rows queued before these classes existed
read back the same way.

To add a notification: a class here, a renderer (or sink) for it, and the service that queues
it. tests/bot/test_notifications.py fails while any class lacks its renderer.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict

from models.enums import Role
from models.outbox import SLACK_SINK, OutboxMessage
from models.schemas.digest import DigestView
from models.schemas.projects import RosterGap

# Fields kept in the row's own columns rather than in `data`.
COLUMNS = ("project_id", "handoff_id")

_BY_TOPIC: dict[str, type[Notification]] = {}  # Slack rows, by topic
_BY_SINK: dict[str, type[Notification]] = {}  # other sinks: one class each, by sink


class Notification(BaseModel):
    """A message a committed change owes; `topic` names it in the row, `sink` delivers it."""

    model_config = ConfigDict(frozen=True, extra="ignore")
    topic: ClassVar[str]
    sink: ClassVar[str] = SLACK_SINK

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "topic" not in cls.__dict__:  # a base that shares fields, not a notification
            return
        registry, key = (_BY_TOPIC, cls.topic) if cls.sink == SLACK_SINK else (_BY_SINK, cls.sink)
        if key in registry and registry[key].__qualname__ != cls.__qualname__:
            raise TypeError(f"two notifications for {key!r}: {registry[key]} and {cls}")
        registry[key] = cls

    @property
    def stored_topic(self) -> str:
        return self.topic

    def columns(self) -> dict[str, Any]:
        return {name: getattr(self, name, None) for name in COLUMNS}

    def data(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude=set(COLUMNS))


class AboutHandoff(Notification):
    """The fields of every notification about one hand-off."""

    project_id: int
    handoff_id: int


class AboutAlert(Notification):
    project_id: int
    alert_id: int


class AboutModelVersion(Notification):
    """An MLflow model version and the alias in question."""

    project_id: int
    model: str
    version: str
    alias: str


def kind_of(row: OutboxMessage) -> type[Notification]:
    """The class a stored row belongs to; LookupError when none (the row cannot be sent)."""
    if row.sink == SLACK_SINK:
        if row.topic not in _BY_TOPIC:
            raise LookupError(f"unknown outbox topic {row.topic!r}")
        return _BY_TOPIC[row.topic]
    if row.sink not in _BY_SINK:
        raise LookupError(f"no outbox sink named {row.sink!r}")
    return _BY_SINK[row.sink]


def read(row: OutboxMessage) -> Notification:
    """The row as its notification (pydantic checks the stored fields)."""
    stored = {**(row.data or {}), "project_id": row.project_id, "handoff_id": row.handoff_id}
    return kind_of(row).model_validate(stored)


def topics() -> list[str]:
    return sorted(_BY_TOPIC)


# -- hand-off cards: posted once, then edited in place ------------------------------------------
class HandoffRequested(AboutHandoff):
    """The card in the project channel."""

    topic: ClassVar[str] = "handoff.requested"


class SignoffRequested(AboutHandoff):
    """The card in a required lead's direct messages."""

    topic: ClassVar[str] = "handoff.signoff_requested"


class HandoffUpdated(AboutHandoff):
    """Every posted copy of the card is edited to the hand-off's current state."""

    topic: ClassVar[str] = "handoff.updated"


class HandoffResubmitted(AboutHandoff):
    """A new round: every copy is edited, like HandoffUpdated."""

    topic: ClassVar[str] = "handoff.resubmitted"


# -- hand-off outcomes ----------------------------------------------------------------------------
class ChangesRequested(AboutHandoff):
    """To the requester: what to change, with a Resubmit button."""

    topic: ClassVar[str] = "handoff.changes_requested"
    by: str


class HandoffClosed(AboutHandoff):
    """Rejected or cancelled, by `by`: told to the requester and to the project channel."""

    topic: ClassVar[str] = "handoff.closed"
    by: str


class ProjectAdvanced(Notification):
    topic: ClassVar[str] = "project.advanced"
    project_id: int
    handoff_id: int | None = None
    stage_from: str
    stage_to: str


class HandoffReceived(AboutHandoff):
    """To each member of a receiving role: the packet is theirs now."""

    topic: ClassVar[str] = "handoff.received"


class RoleAssigned(Notification):
    topic: ClassVar[str] = "role.assigned"
    project_id: int
    role: Role
    lead: bool
    by: str


class OverseerNamed(Notification):
    """A DM to the person just named a project's overseer: what they may now do."""

    topic: ClassVar[str] = "project.overseer_named"
    project_id: int
    by: str


class HomeRefresh(Notification):
    """The person's App Home, published again (views.publish) from current state."""

    topic: ClassVar[str] = "home.refresh"


# -- absences ------------------------------------------------------------------------------------
class WelcomeBack(Notification):
    """To whoever came back (`back`, or their absence's last day over): the sign-offs that are
    theirs again, read from current state when delivered."""

    topic: ClassVar[str] = "absence.welcome_back"
    until: date
    handoff_ids: list[int] = []


class StandInEnded(Notification):
    """To a delegate (or ML architect lead) who signed for `lead` while away: no longer."""

    topic: ClassVar[str] = "absence.stand_in_ended"
    lead: str
    handoff_ids: list[int] = []


# -- scheduled ------------------------------------------------------------------------------------
class DigestPost(Notification):
    """A snapshot: what was true when the digest was built, however late it is delivered."""

    topic: ClassVar[str] = "digest.post"
    digest: DigestView


class SignoffReminder(AboutHandoff):
    """To the lead, with the card's buttons (a copy edited like the others)."""

    topic: ClassVar[str] = "signoff.reminder"
    role: Role
    hours_overdue: int = 0


class SnoozeNote(BaseModel):
    model_config = ConfigDict(frozen=True)
    user: str
    until: datetime
    reason: str | None = None


class ReminderSnoozed(AboutHandoff):
    """The reminder DM a snooze was asked from (its channel is the row's), edited to say until
    when and why, from the snooze as it stands when delivered."""

    topic: ClassVar[str] = "signoff.reminder_snoozed"
    user: str
    ts: str


class SignoffEscalation(AboutHandoff):
    topic: ClassVar[str] = "signoff.escalation"
    role: Role
    approver: str | None = None
    architect: str | None = None
    snoozed: list[SnoozeNote] = []  # why it is late: who snoozed its reminders, until when

    def data(self) -> dict[str, Any]:
        """Without snoozes, stored exactly as escalations were before snoozes existed."""
        stored = super().data()
        if not self.snoozed:
            stored.pop("snoozed")
        return stored


class RosterCheck(Notification):
    """The weekly roster check, to a project's creator or ML architect lead: a snapshot."""

    topic: ClassVar[str] = "roster.check"
    project_id: int
    gap: RosterGap


# -- monitoring -----------------------------------------------------------------------------------
class AlertOpened(AboutAlert):
    topic: ClassVar[str] = "alert.opened"


class AlertResolved(AboutAlert):
    """A reply in the alert's thread, and the alert's message edited to say it recovered."""

    topic: ClassVar[str] = "alert.resolved"
    value: float


class AlertUpdated(AboutAlert):
    """The alert's message edited to its current state: acknowledged, or its retrain button
    no longer applying (a hand-off opened, the project left monitor) or applying again."""

    topic: ClassVar[str] = "alert.updated"


class AlertEscalated(AboutAlert):
    topic: ClassVar[str] = "alert.escalated"
    architect: str | None = None


# -- MLflow, told in the project channel ---------------------------------------------------------
class MlflowAliasSet(AboutModelVersion):
    topic: ClassVar[str] = "mlflow.alias_set"
    handoff_id: int | None = None


class MlflowAliasFailed(AboutModelVersion):
    topic: ClassVar[str] = "mlflow.alias_failed"
    handoff_id: int | None = None
    error: str
    final: bool


class MlflowAliasUnsigned(AboutModelVersion):
    """The production alias was set in MLflow without a signed-off hand-off."""

    topic: ClassVar[str] = "mlflow.alias_unsigned"


# -- other sinks (bot/sinks.py) ------------------------------------------------------------------
class SetProductionAlias(AboutHandoff):
    """Tag the version and set the production alias in MLflow (bot/mlflow_sink.py)."""

    topic: ClassVar[str] = "mlflow.set_alias"
    sink: ClassVar[str] = "mlflow"
    promotion_id: int


class WorkflowCompletion(AboutHandoff):
    """Complete the Workflow Builder step waiting on a hand-off (bot/workflow_sink.py)."""

    topic: ClassVar[str] = "workflow.complete"
    sink: ClassVar[str] = "workflow"
    step_id: int


class WebhookDelivery(Notification):
    """One signed POST to a subscriber (bot/webhook_sink.py); the row's topic is the event."""

    topic: ClassVar[str] = "webhook.event"
    sink: ClassVar[str] = "webhook"
    project_id: int
    handoff_id: int | None = None
    subscription_id: int
    delivery_id: str
    event: str
    body: dict[str, Any]

    @property
    def stored_topic(self) -> str:
        return self.event
