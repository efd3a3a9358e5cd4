"""Retention: observations older than the cut-off go, audited; audit events never do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from models import AuditEvent, Observation
from models.services import audit_verify, retention
from tests.models.conftest import T, rows
from tests.models.monitoring_steps import add, record


def test_pruning_removes_old_observations_keeps_audit_and_is_itself_audited(seeded):
    add(seeded.db)
    now = datetime.now(UTC)
    for days_ago in (100, 40, 1):
        record(seeded.db, 0.9, now=now - timedelta(days=days_ago))
    events_before = [e.id for e in rows(seeded.db, AuditEvent)]

    with seeded.db.session() as s:
        counts = retention.prune_observations(s, now - timedelta(days=30))

    assert counts == {T: 2}
    left = rows(seeded.db, Observation)
    assert len(left) == 1 and left[0].observed_at > now - timedelta(days=2)
    events = rows(seeded.db, AuditEvent)
    assert [e.id for e in events][: len(events_before)] == events_before
    assert events[-1].action == "observations.pruned" and events[-1].detail["count"] == 2
    with seeded.db.session() as s:
        assert audit_verify.verify(s, T).ok


def test_nothing_old_means_nothing_pruned_and_nothing_audited(seeded):
    add(seeded.db)
    record(seeded.db, 0.9)
    before = len(rows(seeded.db, AuditEvent))

    with seeded.db.session() as s:
        assert retention.prune_observations(s, datetime.now(UTC) - timedelta(days=30)) == {}

    assert len(rows(seeded.db, AuditEvent)) == before and len(rows(seeded.db, Observation)) == 1
