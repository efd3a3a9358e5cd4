"""audit chain (audit_events.hash/prev_hash/seq, audit_chain_heads), policy snapshots on
hand-offs and policy_versions, slack_users (names cached beside ids)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01

Existing audit events are hashed in id order per workspace; open hand-offs get the built-in
policy's snapshot of their transition (the policy they were opened under is not known).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

from models.audit_chain import event_hash
from models.base import JSONType, UTCDateTime
from models.enums import OPEN_HANDOFF_STATUSES
from models.policy import DEFAULT_POLICY
from models.policy_versions import policy_document, policy_hash, transition_snapshot

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

_events = sa.table(
    "audit_events",
    sa.column("id", sa.Integer),
    sa.column("team_id", sa.String),
    sa.column("project_id", sa.Integer),
    sa.column("project_key", sa.String),
    sa.column("actor", sa.String),
    sa.column("action", sa.String),
    sa.column("detail", JSONType),
    sa.column("created_at", UTCDateTime()),
    sa.column("prev_hash", sa.String),
    sa.column("hash", sa.String),
    sa.column("seq", sa.Integer),
)
_heads = sa.table(
    "audit_chain_heads",
    sa.column("team_id", sa.String),
    sa.column("head_hash", sa.String),
    sa.column("head_event_id", sa.Integer),
    sa.column("events", sa.Integer),
    sa.column("updated_at", UTCDateTime()),
)
_handoffs = sa.table(
    "handoffs",
    sa.column("id", sa.Integer),
    sa.column("team_id", sa.String),
    sa.column("from_stage", sa.String),
    sa.column("to_stage", sa.String),
    sa.column("status", sa.String),
    sa.column("requested_at", UTCDateTime()),
    sa.column("policy_snapshot", JSONType),
    sa.column("policy_version", sa.String),
)
_versions = sa.table(
    "policy_versions",
    sa.column("team_id", sa.String),
    sa.column("hash", sa.String),
    sa.column("policy", JSONType),
    sa.column("first_used_at", UTCDateTime()),
)


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("prev_hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("hash", sa.String(length=64), nullable=True))
        batch.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch.create_index("ix_audit_events_team_seq", ["team_id", "seq"])
    op.create_table(
        "audit_chain_heads",
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.Column("head_hash", sa.String(length=64), nullable=True),
        sa.Column("head_event_id", sa.Integer(), nullable=True),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_audit_chain_heads")),
    )
    op.create_table(
        "policy_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.Column("policy", JSONType, nullable=False),
        sa.Column("first_used_at", sa.DateTime(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy_versions")),
        sa.UniqueConstraint("team_id", "hash", name=op.f("uq_policy_versions_team_id_hash")),
    )
    op.create_index(op.f("ix_policy_versions_team_id"), "policy_versions", ["team_id"])
    op.create_table(
        "slack_users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("fetched_at", sa.DateTime(), nullable=False),
        sa.Column("team_id", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_slack_users")),
        sa.UniqueConstraint("team_id", "user_id", name=op.f("uq_slack_users_team_id_user_id")),
    )
    op.create_index(op.f("ix_slack_users_team_id"), "slack_users", ["team_id"])
    with op.batch_alter_table("handoffs") as batch:
        batch.add_column(sa.Column("policy_snapshot", JSONType, nullable=True))
        batch.add_column(sa.Column("policy_version", sa.String(length=64), nullable=True))

    _hash_existing_events()
    _snapshot_open_handoffs()


def _hash_existing_events() -> None:
    bind = op.get_bind()
    heads: dict[str, tuple[str, int, int, datetime]] = {}
    rows = bind.execute(sa.select(_events).order_by(_events.c.team_id, _events.c.id)).all()
    for row in rows:
        prev = heads.get(row.team_id)
        prev_hash = prev[0] if prev else None
        digest = event_hash(
            prev_hash,
            team_id=row.team_id,
            project_id=row.project_id,
            project_key=row.project_key,
            actor=row.actor,
            action=row.action,
            detail=row.detail,
            created_at=row.created_at,
        )
        bind.execute(
            _events.update().where(_events.c.id == row.id).values(prev_hash=prev_hash, hash=digest)
        )
        heads[row.team_id] = (digest, row.id, (prev[2] if prev else 0) + 1, row.created_at)
    for team_id, (digest, event_id, count, at) in heads.items():
        bind.execute(
            _heads.insert().values(
                team_id=team_id,
                head_hash=digest,
                head_event_id=event_id,
                events=count,
                updated_at=at,
            )
        )


def _snapshot_open_handoffs() -> None:
    bind = op.get_bind()
    version = policy_hash(DEFAULT_POLICY)
    first_use: dict[str, datetime] = defaultdict(lambda: datetime.max.replace(tzinfo=UTC))
    open_rows = bind.execute(
        sa.select(_handoffs).where(_handoffs.c.status.in_(list(OPEN_HANDOFF_STATUSES)))
    ).all()
    for row in open_rows:
        from_stage, to_stage = row.from_stage, row.to_stage
        transition = next(
            (
                t
                for t in DEFAULT_POLICY.transitions
                if t.from_stage.value == from_stage and t.to_stage.value == to_stage
            ),
            None,
        )
        if transition is None:  # opened under a custom policy: no snapshot rather than a wrong one
            continue
        bind.execute(
            _handoffs.update()
            .where(_handoffs.c.id == row.id)
            .values(policy_snapshot=transition_snapshot(transition), policy_version=version)
        )
        first_use[row.team_id] = min(first_use[row.team_id], row.requested_at)
    for team_id, at in first_use.items():
        bind.execute(
            _versions.insert().values(
                team_id=team_id,
                hash=version,
                policy=policy_document(DEFAULT_POLICY),
                first_used_at=at,
            )
        )


def downgrade() -> None:
    # Plain ALTER TABLE … DROP COLUMN (SQLite ≥ 3.35): rebuilding handoffs, as batch mode
    # would, fails on SQLite while other tables' rows reference it.
    op.drop_column("handoffs", "policy_version")
    op.drop_column("handoffs", "policy_snapshot")
    op.drop_index(op.f("ix_slack_users_team_id"), table_name="slack_users")
    op.drop_table("slack_users")
    op.drop_index(op.f("ix_policy_versions_team_id"), table_name="policy_versions")
    op.drop_table("policy_versions")
    op.drop_table("audit_chain_heads")
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_index("ix_audit_events_team_seq")
        batch.drop_column("seq")
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
