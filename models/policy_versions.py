"""Policy versions seen: the whole policy by its hash, and when a hand-off first opened under it."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from sqlalchemy import String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from models.audit_chain import canonical_json
from models.base import Base, TeamScoped, utcnow
from models.policy import Policy, Transition


class PolicyVersion(TeamScoped, Base):
    __tablename__ = "policy_versions"
    __table_args__ = (UniqueConstraint("team_id", "hash"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hash: Mapped[str] = mapped_column(String(64))
    policy: Mapped[dict[str, Any]]
    first_used_at: Mapped[datetime] = mapped_column(default=utcnow)


def transition_snapshot(transition: Transition) -> dict[str, Any]:
    """Everything the transition says (roles, receivers, typed fields, SLA and any further
    setting a policy file adds), in the file's own vocabulary."""
    return transition.model_dump(mode="json", by_alias=True)


def policy_hash(policy: Policy) -> str:
    return hashlib.sha256(canonical_json(policy_document(policy)).encode()).hexdigest()


def policy_document(policy: Policy) -> dict[str, Any]:
    return policy.model_dump(mode="json", by_alias=True)


def rules_of(snapshot: dict[str, Any] | None) -> Transition | None:
    """The snapshot as a Transition again; None for hand-offs opened before snapshots."""
    return Transition.model_validate(snapshot) if snapshot else None
