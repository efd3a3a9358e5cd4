"""Projects and their hand-offs as the services return them: the card, the roster, a
hand-off with its packet and sign-offs, the audit trail and the lineage."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from models.enums import Decision, HandoffStatus, Role, Stage
from models.schemas.base import View
from models.schemas.monitoring import MonitorView


class ProjectSummary(View):
    key: str
    name: str
    stage: Stage
    channel_id: str
    created_by: str
    created_at: datetime
    archived_at: datetime | None = None


class RoleHolders(View):
    role: Role
    label: str
    lead: str | None
    members: list[str]


class PacketLine(View):
    key: str
    label: str
    value: str


class SignOffLine(View):
    role: Role
    label: str
    lead: str | None
    state: Decision | None  # None: still pending
    decided_by: str | None = None
    reason: str | None = None
    decided_at: datetime | None = None


class HandoffView(View):
    id: int
    team_id: str
    project_key: str
    project_name: str
    channel_id: str
    from_stage: Stage
    to_stage: Stage
    status: HandoffStatus
    round: int
    packet: list[PacketLine]
    checklist: list[SignOffLine]
    requested_by: str
    requested_at: datetime
    due_at: datetime
    closed_at: datetime | None
    version: int

    @property
    def is_open(self) -> bool:
        return self.status.is_open

    @property
    def waiting_on(self) -> list[SignOffLine]:
        return [line for line in self.checklist if line.state is None]

    @property
    def transition(self) -> str:
        return f"{self.from_stage.value} → {self.to_stage.value}"


class DecisionResult(View):
    handoff: HandoffView
    changed: bool  # False: an identical decision was already recorded (double click, retry)
    advanced: bool = False


class ProjectCard(View):
    project: ProjectSummary
    roles: list[RoleHolders]
    open_handoff: HandoffView | None
    next_stages: list[Stage]


class MyProject(View):
    key: str
    name: str
    stage: Stage
    roles: list[Role]
    lead_of: list[Role]


class AuditEntry(View):
    id: int
    project_key: str | None
    actor: str
    action: str
    detail: dict[str, Any]
    created_at: datetime


class LineageEntry(View):
    model_name: str
    version: str
    training_data: str | None
    data_source: str | None
    evaluation: str | None
    run_id: str | None
    model_source: str | None = None
    origin: str
    recorded_by: str
    recorded_at: datetime


class ProjectState(View):
    card: ProjectCard
    monitors: list[MonitorView]
