"""Throwaway databases and bulk seeding (one INSERT per table, never per-row services).

Each benchmark gets a fresh SQLite file or a fresh PostgreSQL database (created and dropped
here: a `?options=-csearch_path…` URL would carry a `%` that alembic's config cannot hold).
"""

from __future__ import annotations

import os
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from bot.db import make_engine, make_session_factory, migrate, session_scope
from models import Handoff, Monitor, OutboxMessage, Project, RoleAssignment, SignOff
from models.base import utcnow
from models.enums import Decision, HandoffStatus, Role, Stage

PG_URL = os.environ.get("BENCH_PG_URL", "postgresql+psycopg://root@127.0.0.1:5432/test")
LOOPBACK = ("127.0.0.1", "localhost", "::1")

TEAM = "T_BENCH"
CHANNEL = "CBENCH"
CREATOR = "U_CREATOR"
REQUESTER = "U_DS"
APPROVER = "U_DOM"  # leads one of the two required roles: one approval never closes a hand-off
LEADS = {Role.DATA_SCIENTIST: "U_DS", Role.DOMAIN_EXPERT: "U_DOM", Role.ML_ARCHITECT: "U_ARCH"}
REQUIRED = ["domain_expert", "ml_architect"]
PACKET = {
    "objective": "Predict churn 30 days ahead",
    "success_metric": "AUC >= 0.85 on holdout",
    "data_sources": "warehouse.customers",
    "target_date": "2026-04-01",
}


# -- databases ---------------------------------------------------------------------------------


def pg_reachable() -> bool:
    url = make_url(PG_URL)
    if url.host not in LOOPBACK:  # benchmarks talk to this machine only
        return False
    engine = make_engine(PG_URL, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        return True
    except OperationalError:
        return False
    finally:
        engine.dispose()


@contextmanager
def database(backend: str) -> Iterator[str]:
    """The URL of a fresh, empty database of `backend`, removed afterwards."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory(prefix="baton-bench-") as tmp:
            yield f"sqlite:///{Path(tmp) / 'bench.db'}"
        return
    name = f"baton_bench_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL).execution_options(isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def awaiting_approval(url: str, n: int) -> list[int]:
    """Migrate `url` and seed n projects with their leads, each with an open hand-off waiting
    on two leads (so every Approve click is a first decision); the hand-off ids, in order."""
    engine = make_engine(url)
    try:
        migrate(engine)
        with session_scope(make_session_factory(engine)) as s:
            project_ids = projects(s, n)
            leads(s, project_ids)
            handoff_ids = open_handoffs(s, project_ids, utcnow() - timedelta(hours=1))
        analyze(engine)
    finally:
        engine.dispose()
    return handoff_ids


def analyze(engine: Engine) -> None:
    """Fresh statistics after a bulk load, as autovacuum would soon give production."""
    if engine.dialect.name == "postgresql":
        with engine.begin() as conn:
            conn.execute(text("ANALYZE"))


# -- rows --------------------------------------------------------------------------------------


def projects(s: Session, n: int, channel: str = CHANNEL) -> list[int]:
    rows = [
        {
            "team_id": TEAM,
            "key": f"p-{i:05d}",
            "name": f"Project {i}",
            "stage": Stage.MANAGE,
            "channel_id": channel,
            "created_by": CREATOR,
        }
        for i in range(n)
    ]
    s.execute(insert(Project), rows)
    return list(s.scalars(select(Project.id).where(Project.team_id == TEAM).order_by(Project.id)))


def leads(s: Session, project_ids: Sequence[int]) -> None:
    s.execute(
        insert(RoleAssignment),
        [
            {
                "team_id": TEAM,
                "project_id": p,
                "role": role,
                "user_id": user,
                "is_lead": True,
                "assigned_by": CREATOR,
            }
            for p in project_ids
            for role, user in LEADS.items()
        ],
    )


def handoff_row(
    project_id: int,
    requested_at: datetime,
    closed_at: datetime | None = None,
    status: HandoffStatus = HandoffStatus.APPROVED,
) -> dict[str, Any]:
    return {
        "team_id": TEAM,
        "project_id": project_id,
        "from_stage": Stage.MANAGE,
        "to_stage": Stage.DEVELOP,
        "status": status,
        "packet": PACKET,
        "required_roles": REQUIRED,
        "receiving_roles": ["data_scientist"],
        "requested_by": REQUESTER,
        "requested_at": requested_at,
        "due_at": requested_at + timedelta(hours=48),
        "closed_at": closed_at,
    }


def monitors(s: Session, project_ids: Sequence[int], metric: str, threshold: float) -> None:
    """One `min` monitor of `metric` per project, owned by the data scientist lead."""
    rows = [
        {"team_id": TEAM, "project_id": p, "metric": metric, "direction": "min"}
        | {"threshold": threshold, "owner_role": Role.DATA_SCIENTIST, "created_by": REQUESTER}
        for p in project_ids
    ]
    s.execute(insert(Monitor), rows)


def open_handoffs(s: Session, project_ids: Sequence[int], requested_at: datetime) -> list[int]:
    """One pending hand-off per project (the most a project may have); their ids, in order."""
    pending = HandoffStatus.PENDING
    s.execute(insert(Handoff), [handoff_row(p, requested_at, None, pending) for p in project_ids])
    return list(s.scalars(select(Handoff.id).where(Handoff.status == pending).order_by(Handoff.id)))


def history(s: Session, project_ids: Sequence[int], now: datetime, per_project: int) -> None:
    """Closed hand-offs spread over the past days (the digest's lead times read them)."""
    s.execute(
        insert(Handoff),
        [
            handoff_row(p, now - timedelta(days=k + 1, hours=3 + k), now - timedelta(days=k + 1))
            for p in project_ids
            for k in range(per_project)
        ],
    )


def first_signoffs(s: Session, handoff_ids: Sequence[int]) -> None:
    """The domain expert has approved: each hand-off waits on the architect alone."""
    s.execute(
        insert(SignOff),
        [
            {
                "team_id": TEAM,
                "handoff_id": h,
                "round": 1,
                "role": Role.DOMAIN_EXPERT,
                "user_id": APPROVER,
                "decision": Decision.APPROVED,
            }
            for h in handoff_ids
        ],
    )


def advanced_messages(s: Session, project_id: int, channels: Sequence[str], n: int) -> None:
    """`n` queued "project.advanced" messages, round-robin over `channels`; each text unique."""
    s.execute(
        insert(OutboxMessage),
        [
            {
                "team_id": TEAM,
                "topic": "project.advanced",
                "channel_id": channels[i % len(channels)],
                "project_id": project_id,
                "data": {"stage_from": "manage", "stage_to": f"step-{i}"},
            }
            for i in range(n)
        ],
    )
