"""0010 links the refusals recorded without their project to the project their hand-off id or key
names, keeps every row as it was, and leaves the audit chain (and its anchored head) intact."""

from __future__ import annotations

import json

from sqlalchemy import select, text

from bot.db import make_session_factory, migrate
from models import AuditEvent
from models.project import Project
from models.services import audit_verify, trail
from tests.models.test_migrations import _downgrade, empty  # noqa: F401  (the fixture)

REASON = "Only the lead of a required role can decide this hand-off."


def _seed_at_0008(engine) -> list[tuple[str, str, str | None, dict]]:
    """Two projects, one hand-off, and refusals of every shape written before 0010."""
    migrate(engine, "0008")
    with engine.begin() as conn:
        for key in ("churn-model", "fraud-model"):
            conn.execute(
                text(
                    "INSERT INTO projects (team_id, key, name, stage, channel_id, created_by,"
                    " created_at) VALUES ('T_HOME', :k, :k, 'manage', 'C_1', 'U_1', :now)"
                ),
                {"k": key, "now": "2026-03-02 09:00:00"},
            )
        conn.execute(
            text(
                "INSERT INTO handoffs (team_id, project_id, from_stage, to_stage, status, round,"
                " packet, required_roles, receiving_roles, requested_by, requested_at, due_at,"
                " source, version) SELECT 'T_HOME', id, 'manage', 'develop', 'pending', 1, '{}',"
                " '[\"domain_expert\"]', '[\"data_scientist\"]', 'U_1', :at, :at, 'slack', 1"
                " FROM projects WHERE key = 'churn-model'"
            ),
            {"at": "2026-03-02 09:30:00"},
        )
        handoff = conn.scalar(text("SELECT id FROM handoffs"))
        events = [  # (team, action, project_key column, detail)
            (
                "T_HOME",
                "refused.handoff.approve",
                None,
                {"handoff": str(handoff), "reason": REASON},
            ),
            ("T_HOME", "refused.handoff.reject", None, {"handoff": handoff, "reason": REASON}),
            ("T_HOME", "refused.role.assign", "fraud-model", {"reason": "Only the creator"}),
            ("T_OTHER", "refused.handoff.approve", None, {"handoff": str(handoff), "reason": "x"}),
            ("T_HOME", "refused.button.click", None, {"handoff": "99999999999", "reason": "x"}),
            ("T_HOME", "refused.status.read", "no-such-key", {"reason": "x"}),
            ("T_HOME", "note.unlinked", "churn-model", {"handoff": handoff}),
        ]
        for i, (team, action, key, detail) in enumerate(events):
            conn.execute(
                text(
                    "INSERT INTO audit_events (team_id, project_id, project_key, actor, action,"
                    " detail, created_at) VALUES (:t, NULL, :k, 'U_MAL', :a, :d, :at)"
                ),
                {
                    "t": team,
                    "k": key,
                    "a": action,
                    "d": json.dumps(detail),
                    "at": f"2026-03-02 10:0{i}:00",
                },
            )
        return events


def _rows(engine) -> list[dict]:
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT * FROM audit_events ORDER BY id")).mappings()
        return [{k: v for k, v in r.items() if k != "linked_project_id"} for r in rows]


def _head(engine) -> str:
    with engine.connect() as conn:
        return conn.scalar(text("SELECT head_hash FROM audit_chain_heads WHERE team_id = 'T_HOME'"))


def test_0010_links_refusals_by_their_handoff_or_key_and_keeps_the_chain(empty):  # noqa: F811
    _seed_at_0008(empty)
    migrate(empty, "0009")
    anchored = _head(empty)  # what an operator kept outside the database (`baton audit anchor`)
    before = _rows(empty)

    migrate(empty)

    assert _rows(empty) == before  # every row, every hashed column, as it was
    factory = make_session_factory(empty)
    with factory() as s:
        ids = {p.key: p.id for p in s.scalars(select(Project))}
        linked = [
            e.linked_project_id for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))
        ]
        home, other = audit_verify.verify(s, "T_HOME"), audit_verify.verify(s, "T_OTHER")
        churn = s.scalars(select(Project).where(Project.key == "churn-model")).one()
        history = trail.history(s, churn, 50)
    churn_id, fraud_id = ids["churn-model"], ids["fraud-model"]
    assert linked == [churn_id, churn_id, fraud_id, None, None, None, None]
    assert home.ok and other.ok and home.head_hash == anchored
    assert [e.sentence for e in history] == [
        f"U_MAL tried to reject manage → develop — refused: {REASON}",
        f"U_MAL tried to approve manage → develop — refused: {REASON}",
    ]


def test_0010_downgrade_drops_only_the_link(empty):  # noqa: F811
    _seed_at_0008(empty)
    migrate(empty, "0009")
    before = _rows(empty)
    migrate(empty)

    _downgrade(empty, "0009")

    assert _rows(empty) == before
    migrate(empty)  # and up again: the links come back, the chain still holds
    with make_session_factory(empty)() as s:
        assert audit_verify.verify(s, "T_HOME").ok
        churn = s.scalars(select(Project).where(Project.key == "churn-model")).one()
        assert len(trail.history(s, churn, 50)) == 2


def test_migration_0010_imports_no_app_code():
    """A revision runs frozen: app code it imported could change what a fresh upgrade links."""
    import ast
    from pathlib import Path

    import models

    versions = Path(models.__file__).parent / "migrations" / "versions"
    source = next(versions.glob("0010_*.py")).read_text()
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.ImportFrom):
            imported.add(node.module or "")
        elif isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
    assert not {name for name in imported if name.split(".")[0] in {"models", "bot", "handlers"}}
