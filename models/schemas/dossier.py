"""The evidence dossier of one project, as plain data: bot/dossier_render.py prints it as HTML,
Markdown, JSON or CSV. People appear as a name with their Slack id beside it."""

from __future__ import annotations

from datetime import datetime

from models.schemas.base import View


class Person(View):
    id: str
    name: str


class Rules(View):
    """The rules a hand-off was judged by: its own snapshot, or (older rows) today's policy."""

    from_snapshot: bool
    policy_version: str | None
    signoff: list[str]
    signoff_if_assigned: list[str]
    receivers: list[str]
    fields: list[dict[str, object]]
    sla_hours: float | None
    other: dict[str, object]  # any further setting of the transition (e.g. separation of duties)


class DecisionLine(View):
    round: int
    role: str
    person: Person
    decision: str
    reason: str | None
    at: datetime
    as_admin: bool
    on_behalf_of: Person | None = None  # a stand-in's decision: the lead it was signed for
    standing_in: str | None = None  # why: "requester" (separation of duties) or "away"


class EventLine(View):
    id: int
    at: datetime
    action: str
    actor: Person
    sentence: str
    detail: dict[str, object]
    hash: str | None  # None only for a row written behind Baton's back


class PacketEntry(View):
    """One packet field as the dossier shows it; a `user` field keeps the id as its value and
    adds the person's name (the id when Slack never named them)."""

    label: str
    value: str
    name: str | None = None  # only for a field of type user

    def as_read(self) -> str:
        """A user field as "Lena Ortiz (U123)" (the id alone when unnamed); others as typed."""
        if self.name is None or self.name == self.value:
            return self.value
        return f"{self.name} ({self.value})"


class ReminderLine(View):
    round: int
    role: str
    kind: str
    at: datetime


class HandoffRecord(View):
    id: int
    transition: str
    status: str
    round: int
    source: str
    retrain: bool
    requested_by: Person
    requested_at: datetime
    due_at: datetime
    closed_by: Person | None
    closed_at: datetime | None
    packet: list[PacketEntry]  # in the rules' field order
    rules: Rules
    decisions: list[DecisionLine]
    refusals: list[EventLine]
    reminders: list[ReminderLine]


class StageStep(View):
    at: datetime
    stage: str
    previous: str | None
    how: str  # the sentence that moved it


class LineageRecord(View):
    model_name: str
    version: str
    training_data: str | None
    data_source: str | None
    run_id: str | None
    model_source: str | None
    evaluation: str | None
    origin: str
    recorded_at: datetime
    handoff_id: int | None
    approvers: list[Person]


class AlertRecord(View):
    id: int
    status: str
    value: float
    threshold: float
    opened_at: datetime
    owner: Person | None
    acknowledged_by: Person | None
    acknowledged_at: datetime | None
    escalated_at: datetime | None
    resolved_at: datetime | None


class MonitorRecord(View):
    metric: str
    direction: str
    threshold: float
    owner_role: str
    created_by: Person
    created_at: datetime
    removed_at: datetime | None
    alerts: list[AlertRecord]


class ChainResult(View):
    ok: bool
    events: int
    head_hash: str | None
    head_at: datetime | None
    problem: str | None


class RoleLine(View):
    role: str
    lead: Person | None
    members: list[Person]


class Dossier(View):
    team_id: str
    key: str
    name: str
    stage: str
    channel_id: str
    created_by: Person
    created_at: datetime
    archived_at: datetime | None
    generated_at: datetime
    overseer: Person | None  # who may stop the project at any time (human oversight)
    roles: list[RoleLine]
    stage_history: list[StageStep]
    handoffs: list[HandoffRecord]
    lineage: list[LineageRecord]
    monitors: list[MonitorRecord]
    events: list[EventLine]
    chain: ChainResult
    unnamed: list[str]  # Slack ids with no cached name (shown as the id)
