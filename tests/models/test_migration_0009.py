"""0009 keeps every audit event and hashes it into its workspace's chain, in id order, and gives
open hand-offs the built-in policy's rules; closed ones keep none (they fall back)."""

from __future__ import annotations

from sqlalchemy import select, text

from bot.db import make_session_factory, migrate
from models import AuditEvent, Handoff, PolicyVersion
from models.policy import DEFAULT_POLICY
from models.policy_versions import policy_hash
from models.services import audit_verify
from tests.models.test_migrations import empty  # noqa: F401  (the fixture)

EVENTS = [
    ("T_HOME", "project.created", '{"name": "Churn", "channel": "C_1"}'),
    ("T_OTHER", "project.created", '{"name": "Fraud"}'),
    ("T_HOME", "signoff.approved", '{"roles": ["domain_expert"], "score": 0.5, "n": 2.0}'),
    ("T_HOME", "signoff.rejected", '{"reason": "Zu früh — “nicht” <fertig>"}'),
]


def _seed_at_0008(engine) -> None:
    migrate(engine, "0008")
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO projects (team_id, key, name, stage, channel_id, created_by, created_at)"
                " VALUES ('T_HOME', 'churn-model', 'Churn', 'manage', 'C_1', 'U_1', :now)"
            ),
            {"now": "2026-03-02 09:00:00"},
        )
        for i, (team, action, detail) in enumerate(EVENTS):
            conn.execute(
                text(
                    "INSERT INTO audit_events (team_id, project_id, project_key, actor, action,"
                    " detail, created_at) VALUES (:t, NULL, 'churn-model', 'U_1', :a, :d, :at)"
                ),
                {"t": team, "a": action, "d": detail, "at": f"2026-03-02 09:0{i}:00.12345{i}"},
            )
        for status in ("pending", "approved"):
            conn.execute(
                text(
                    "INSERT INTO handoffs (team_id, project_id, from_stage, to_stage, status, round,"
                    " packet, required_roles, receiving_roles, requested_by, requested_at, due_at,"
                    " source, version) SELECT 'T_HOME', id, 'manage', 'develop', :s, 1, '{}',"
                    " '[\"domain_expert\"]', '[\"data_scientist\"]', 'U_1', :at, :at, 'slack', 1"
                    " FROM projects"
                ),
                {
                    "s": status,
                    "at": "2026-03-01 08:00:00" if status == "approved" else "2026-03-02 08:00:00",
                },
            )


def test_0009_hashes_every_existing_event_in_id_order_per_workspace(empty):  # noqa: F811
    _seed_at_0008(empty)

    migrate(empty)

    with make_session_factory(empty)() as s:
        events = list(s.scalars(select(AuditEvent).order_by(AuditEvent.id)))
        home, other = audit_verify.verify(s, "T_HOME"), audit_verify.verify(s, "T_OTHER")
    assert [(e.team_id, e.action) for e in events] == [(t, a) for t, a, _ in EVENTS]
    assert events[2].detail["roles"] == ["domain_expert"]
    assert events[3].detail == {"reason": "Zu früh — “nicht” <fertig>"}
    assert home.ok and home.events == 3 and other.ok and other.events == 1
    home_events = [e for e in events if e.team_id == "T_HOME"]
    assert [e.prev_hash for e in home_events] == [None, home_events[0].hash, home_events[1].hash]
    assert home.head_hash == home_events[-1].hash


def test_0009_gives_open_handoffs_the_built_in_rules(empty):  # noqa: F811
    _seed_at_0008(empty)

    migrate(empty)

    with make_session_factory(empty)() as s:
        pending, approved = s.scalars(select(Handoff).order_by(Handoff.status.desc())).all()
        versions = list(s.scalars(select(PolicyVersion)))
    assert pending.status == "pending" and approved.status == "approved"
    assert pending.policy_version == policy_hash(DEFAULT_POLICY)
    assert pending.policy_snapshot["signoff"] == ["domain_expert", "ml_architect"]
    assert [f["key"] for f in pending.policy_snapshot["fields"]][:2] == [
        "objective",
        "success_metric",
    ]
    assert approved.policy_snapshot is None and approved.policy_version is None
    assert [(v.team_id, v.hash) for v in versions] == [("T_HOME", policy_hash(DEFAULT_POLICY))]
