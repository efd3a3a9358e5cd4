"""Hand-offs between stages and the sign-offs that gate them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, JSONType, TeamScoped, unique_where, utcnow
from models.enums import OPEN_HANDOFF_STATUSES, Decision, HandoffStatus, Role, Stage
from models.types import str_enum


class Handoff(TeamScoped, Base):
    __tablename__ = "handoffs"

    id: Mapped[int] = mapped_column(primary_key=True)
    project_id: Mapped[int] = mapped_column(ForeignKey("projects.id"), index=True)
    from_stage: Mapped[Stage] = mapped_column(str_enum(Stage, 16))
    to_stage: Mapped[Stage] = mapped_column(str_enum(Stage, 16))
    status: Mapped[HandoffStatus] = mapped_column(
        str_enum(HandoffStatus), default=HandoffStatus.PENDING
    )
    round: Mapped[int] = mapped_column(default=1)
    packet: Mapped[dict[str, Any]]
    # Frozen at request time: a later policy or roster change does not move the goalposts.
    required_roles: Mapped[list[str]]
    receiving_roles: Mapped[list[str]]
    # The transition's rules as they stood when the hand-off opened (models/policy_versions.py).
    policy_snapshot: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    policy_version: Mapped[str | None] = mapped_column(String(64))
    requested_by: Mapped[str] = mapped_column(String(32))
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    due_at: Mapped[datetime]
    closed_by: Mapped[str | None] = mapped_column(String(32))
    closed_at: Mapped[datetime | None]
    source: Mapped[str] = mapped_column(String(16), default="slack")
    # Bumped by every change; deciders lock on it and message updates coalesce by it.
    version: Mapped[int] = mapped_column(default=1)

    signoffs: Mapped[list[SignOff]] = relationship(
        back_populates="handoff", order_by="SignOff.id", lazy="selectin"
    )

    @property
    def transition(self) -> str:
        return f"{self.from_stage.value} → {self.to_stage.value}"

    @property
    def required(self) -> list[Role]:
        return [Role(r) for r in self.required_roles]

    def signoffs_this_round(self) -> dict[Role, SignOff]:
        return {s.role: s for s in self.signoffs if s.round == self.round}

    def pending_roles(self) -> list[Role]:
        decided = self.signoffs_this_round()
        return [r for r in self.required if r not in decided]

    def all_approved(self) -> bool:
        decided = self.signoffs_this_round()
        return all(r in decided and decided[r].decision == Decision.APPROVED for r in self.required)


_open = Handoff.status.in_(OPEN_HANDOFF_STATUSES)
# One open hand-off per project, enforced where races cannot slip past it.
unique_where(
    "uq_handoffs_one_open_per_project",
    Handoff.project_id,
    where=_open,
)
Index("ix_handoffs_team_status", Handoff.team_id, Handoff.status)


class SignOff(TeamScoped, Base):
    __tablename__ = "signoffs"
    __table_args__ = (UniqueConstraint("handoff_id", "round", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id"), index=True)
    round: Mapped[int]
    role: Mapped[Role] = mapped_column(str_enum(Role))
    user_id: Mapped[str] = mapped_column(String(32))
    decision: Mapped[Decision] = mapped_column(str_enum(Decision))
    reason: Mapped[str | None] = mapped_column(Text)
    as_admin: Mapped[bool] = mapped_column(default=False)
    # A stand-in's decision: the lead it was signed for, and why ("requester": separation
    # of duties kept that lead from signing the hand-off they requested).
    on_behalf_of: Mapped[str | None] = mapped_column(String(32))
    standing_in: Mapped[str | None] = mapped_column(String(16))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)

    handoff: Mapped[Handoff] = relationship(back_populates="signoffs")


class SignoffSnooze(TeamScoped, Base):
    """A signer asked not to be reminded of this round before `until`."""

    __tablename__ = "signoff_snoozes"

    id: Mapped[int] = mapped_column(primary_key=True)
    handoff_id: Mapped[int] = mapped_column(ForeignKey("handoffs.id"), index=True)
    round: Mapped[int]
    user_id: Mapped[str] = mapped_column(String(32))
    until: Mapped[datetime]
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
