"""Bodies of the read-and-wait endpoints (handlers/api_handoffs.py): a hand-off's whole state
with its version, a project with roster, open hand-off and monitors, a cancel request."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from handlers.api_schemas import SLACK_USER, Body, handoff_fields, signoff_state
from models.enums import HandoffStatus, Role, Stage
from models.schemas.projects import HandoffView, ProjectState

MAX_WAIT_SECONDS = 60


class SignOffState(BaseModel):
    role: Role
    label: str
    lead: str | None = Field(description="Slack user id of the role's lead")
    state: Literal["pending", "approved", "changes_requested", "rejected"]
    decided_by: str | None
    decided_at: datetime | None
    reason: str | None


class HandoffState(BaseModel):
    id: int
    project: str
    from_stage: Stage
    to_stage: Stage
    transition: str = Field(description='e.g. "develop → deploy"')
    status: HandoffStatus
    round: int
    version: int = Field(description="Grows with every change; pass it back as ?version=")
    requested_by: str
    requested_at: datetime
    due_at: datetime
    closed_at: datetime | None
    packet: dict[str, str]
    signoffs: list[SignOffState] = Field(description="This round's required sign-offs")

    @classmethod
    def of(cls, view: HandoffView) -> HandoffState:
        signoffs = [
            SignOffState(
                role=c.role,
                label=c.label,
                lead=c.lead,
                state=signoff_state(c),
                decided_by=c.decided_by,
                decided_at=c.decided_at,
                reason=c.reason,
            )
            for c in view.checklist
        ]
        return cls(
            **handoff_fields(view),
            transition=view.transition,
            version=view.version,
            closed_at=view.closed_at,
            signoffs=signoffs,
        )


class RoleState(BaseModel):
    role: Role
    label: str
    lead: str | None
    members: list[str]


class MonitorState(BaseModel):
    metric: str
    rule: str = Field(description='e.g. "below 0.8"')
    owner_role: Role
    last_value: float | None
    last_observed_at: datetime | None
    open_alert: str | None = Field(description='"open", "acknowledged" or null')


class ProjectStateOut(BaseModel):
    key: str
    name: str
    stage: Stage
    channel_id: str
    archived_at: datetime | None
    roster: list[RoleState]
    open_handoff: HandoffState | None
    next_stages: list[Stage]
    monitors: list[MonitorState]

    @classmethod
    def of(cls, state: ProjectState) -> ProjectStateOut:
        card = state.card
        return cls(
            key=card.project.key,
            name=card.project.name,
            stage=card.project.stage,
            channel_id=card.project.channel_id,
            archived_at=card.project.archived_at,
            roster=[RoleState(**r.model_dump()) for r in card.roles],
            open_handoff=HandoffState.of(card.open_handoff) if card.open_handoff else None,
            next_stages=card.next_stages,
            # MonitorState's fields are MonitorView's, read by name (`rule` is a property).
            monitors=[MonitorState.model_validate(m, from_attributes=True) for m in state.monitors],
        )


class CancelRequest(Body):
    cancelled_by: str = Field(
        pattern=SLACK_USER, description="Slack user id: the requester, or a Baton admin"
    )


class WaitQuery(Body):
    wait: float = Field(default=0, ge=0, le=MAX_WAIT_SECONDS, description="Seconds, at most 60")
    version: int | None = Field(default=None, ge=0, description="The version last seen")
