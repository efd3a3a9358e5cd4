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

import sqlalchemy as sa
from alembic import op

from models.base import JSONType
from models.refusals import subject_of

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_events = sa.table(
    "audit_events",
    sa.column("id", sa.Integer),
    sa.column("team_id", sa.String),
    sa.column("project_id", sa.Integer),
    sa.column("project_key", sa.String),
    sa.column("action", sa.String),
    sa.column("detail", JSONType),
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
        subject = subject_of(row.detail, row.project_key)
        team = row.team_id
        project_id = (
            owners["handoff"].get((team, subject.handoff_id))
            or owners["alert"].get((team, subject.alert_id))
            or owners["key"].get((team, subject.project_key))
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


def downgrade() -> None:
    with op.batch_alter_table("audit_events") as batch:
        batch.drop_index("ix_audit_events_team_linked_project_id")
        batch.drop_constraint(
            op.f("fk_audit_events_linked_project_id_projects"), type_="foreignkey"
        )
        batch.drop_column("linked_project_id")
