"""Projects and their hand-offs as the services return them: the card, the roster, a
hand-off with its packet and sign-offs, the audit trail and the lineage."""

from __future__ import annotations

from dataclasses import dataclass
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
    overseer: str | None = None  # Slack id of the project's named overseer


class RoleHolders(View):
    role: Role
    label: str
    lead: str | None
    members: list[str]


class PacketLine(View):
    key: str
    label: str
    value: str
    type: str = "text"  # the policy field's type (models/packet_fields.py): "user" is a mention


class SignOffLine(View):
    role: Role
    label: str
    lead: str | None
    state: Decision | None  # None: still pending
    decided_by: str | None = None
    reason: str | None = None
    decided_at: datetime | None = None
    # Who signs while pending: the lead, or a stand-in (standing_in says why); None: an admin.
    signer: str | None = None
    standing_in: str | None = None
    on_behalf_of: str | None = None  # decided by a stand-in for this lead
    as_admin: bool = False


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
    closed_by: str | None = None

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


class DepartedLead(View):
    role: Role
    user: str


class RosterGap(View):
    """What keeps a project's next hand-off from being signed: roles it requires that nobody
    leads, and leads who left the workspace."""

    project_key: str
    project_name: str
    to_stage: Stage
    vacant: list[Role]
    departed: list[DepartedLead] = []

    @property
    def any(self) -> bool:
        return bool(self.vacant or self.departed)


class ProjectCard(View):
    project: ProjectSummary
    roles: list[RoleHolders]
    open_handoff: HandoffView | None
    next_stages: list[Stage]
    gap: RosterGap | None = None  # the next hand-off's required roles nobody leads


class MyProject(View):
    key: str
    name: str
    stage: Stage
    roles: list[Role]
    lead_of: list[Role]
    manages: bool = False  # may edit its roles: its creator or its ML architect lead
    may_request: bool = True  # may request its hand-offs: a member or an admin


class AuditEntry(View):
    """One audit event: its structured columns, and the sentence and names people read."""

    id: int
    created_at: datetime
    project_key: str | None
    actor: str
    actor_name: str  # from Slack's users.info (cached); the id when it is not known
    action: str
    sentence: str
    detail: dict[str, Any]
    hash: str | None  # its link in the audit chain (None only for a row written behind Baton)


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


@dataclass(frozen=True)
class ProjectHomes:
    """Where a workspace's projects live: every key, and the active ones by home channel."""

    keys: frozenset[str]
    homes: dict[str, str]  # active project key -> its home channel

    def homed_in(self, channel_id: str) -> list[str]:
        """The keys of the active projects whose home channel is `channel_id`, sorted."""
        return sorted(k for k, c in self.homes.items() if c == channel_id)

    def has(self, key: str) -> bool:
        return key in self.keys


class ProjectState(View):
    card: ProjectCard
    monitors: list[MonitorView]
