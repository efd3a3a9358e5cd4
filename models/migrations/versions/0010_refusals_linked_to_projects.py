"""refusals linked to their project (audit_events.linked_project_id)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01

Refusals were recorded without their project until now, so /mlops history and the audit
export never showed them. This links each such refusal to the project its details name: the
project of its hand-off (a refused click or reason), of its alert, or of its project key (a
refused command or form). No row is changed otherwise, none removed.

The link goes into a column of its own, outside the audit chain's hash
(models/audit_chain.py covers project_id): re-hashing would rewrite every later link and
break the heads operators anchored outside the database, and the evidence the link rests on
(the hand-off id or key) is itself inside the hashed details.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Frozen copies of what this revision needs (models.base.JSONType, models.refusals as of
# 0010): a later change to the app's code must not change what a fresh upgrade links.
_JSON = sa.JSON().with_variant(JSONB(), "postgresql")
_KEY_MAX = 40  # projects.key is String(40)
_ROW_ID_MAX = 2**31 - 1  # integer primary keys are 32-bit on PostgreSQL

_events = sa.table(
    "audit_events",
    sa.column("id", sa.Integer),
    sa.column("team_id", sa.String),
    sa.column("project_id", sa.Integer),
    sa.column("project_key", sa.String),
    sa.column("action", sa.String),
    sa.column("detail", _JSON),
    sa.column("linked_project_id", sa.Integer),
)
_projects = sa.table(
    "projects", sa.column("id", sa.Integer), sa.column("team_id"), sa.column("key", sa.String)
)
_handoffs = sa.table(
    "handoffs", sa.column("id", sa.Integer), sa.column("team_id"), sa.column("project_id")
)
_alerts = sa.table(
    "alerts", sa.column("id", sa.Integer), sa.column("team_id"), sa.column("project_id")
)


def upgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.add_column(sa.Column("linked_project_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_audit_events_linked_project_id_projects"),
            "projects",
            ["linked_project_id"],
            ["id"],
        )
        batch.create_index(
            "ix_audit_events_team_linked_project_id", ["team_id", "linked_project_id"]
        )
    _link_refusals()


def _link_refusals() -> None:
    bind = op.get_bind()
    owners = {
        "handoff": _owners(bind, _handoffs),
        "alert": _owners(bind, _alerts),
        "key": {
            (r.team_id, r.key): r.id
            for r in bind.execute(sa.select(_projects.c.id, _projects.c.team_id, _projects.c.key))
        },
    }
    refusals = bind.execute(
        sa.select(_events).where(_events.c.project_id.is_(None), _events.c.action.like("refused.%"))
    ).all()
    links = []
    for row in refusals:
        handoff_id, alert_id, key = _subject_of(row.detail, row.project_key)
        team = row.team_id
        project_id = (
            owners["handoff"].get((team, handoff_id))
            or owners["alert"].get((team, alert_id))
            or owners["key"].get((team, key))
        )
        if project_id is not None:
            links.append({"row": row.id, "project": project_id})
    if links:
        bind.execute(
            _events.update()
            .where(_events.c.id == sa.bindparam("row"))
            .values(linked_project_id=sa.bindparam("project")),
            links,
        )


def _owners(bind: sa.Connection, table: sa.TableClause) -> dict[tuple[str, int], int]:
    rows = bind.execute(sa.select(table.c.id, table.c.team_id, table.c.project_id))
    return {(r.team_id, r.id): r.project_id for r in rows}


def _subject_of(detail: Any, project_key: str | None) -> tuple[int | None, int | None, Any]:
    """The hand-off id, alert id and project key a refusal names (None where no row could)."""
    detail = detail or {}
    key = project_key or detail.get("project_key")
    could_be_key = isinstance(key, str) and 0 < len(key) <= _KEY_MAX and "\x00" not in key
    return (
        _row_id(detail.get("handoff", detail.get("handoff_id"))),
        _row_id(detail.get("alert")),
        key if could_be_key else None,
    )


def _row_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    text = str(value) if isinstance(value, int | str) else ""
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    return int(text) if 0 < int(text) <= _ROW_ID_MAX else None


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_index("ix_audit_events_team_linked_project_id")
        batch.drop_constraint(
            op.f("fk_audit_events_linked_project_id_projects"), type_="foreignkey"
        )
        batch.drop_column("linked_project_id")
