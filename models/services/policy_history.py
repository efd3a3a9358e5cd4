"""Which policy versions hand-offs were opened under, and the rules a hand-off is judged by."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import Stage
from models.handoff import Handoff
from models.inserts import insert_or_ignore
from models.policy import Policy, Transition
from models.policy_versions import PolicyVersion, policy_document, policy_hash, rules_of


def note_version(s: Session, team_id: str, policy: Policy, at: datetime) -> str:
    """The policy's version hash, recorded with its first use in this workspace."""
    digest = policy_hash(policy)
    values = {
        "team_id": team_id,
        "hash": digest,
        "policy": policy_document(policy),
        "first_used_at": at,
    }
    s.execute(insert_or_ignore(s, PolicyVersion, values))
    return digest


def versions(s: Session, team_id: str | None = None) -> list[PolicyVersion]:
    query = select(PolicyVersion).order_by(PolicyVersion.first_used_at, PolicyVersion.id)
    if team_id is not None:
        query = query.where(PolicyVersion.team_id == team_id)
    return list(s.scalars(query))


def rules_in_force(h: Handoff, policy: Policy) -> Transition | None:
    """The hand-off's own snapshot; today's policy only for hand-offs opened before snapshots."""
    return rules_from(h.policy_snapshot, h.from_stage, h.to_stage, policy)


def rules_from(
    snapshot: dict[str, Any] | None, from_stage: str, to_stage: str, policy: Policy
) -> Transition | None:
    """`rules_in_force` of a hand-off read as plain columns (lists that load no ORM objects)."""
    return rules_of(snapshot) or policy.transition(Stage(from_stage), Stage(to_stage))
