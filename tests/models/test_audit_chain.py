"""The audit chain: every event links to the one before; editing, removing or inserting a row
directly in the database is named by verify, on SQLite and PostgreSQL, and two processes
writing at once still form one chain."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import text

from models import AuditChainHead, AuditEvent
from models.audit_chain import event_hash
from models.schemas.base import Actor
from models.services import audit, audit_verify
from models.services.audit_verify import CHANGED, INSERTED, MISSING, TAIL_INSERTED, TAIL_MISSING
from tests.models.conftest import T_OTHER, T, rows, seed_project

ROOT = Path(__file__).resolve().parents[2]


def _verify(db, team=T):
    with db.session() as s:
        return audit_verify.verify(s, team)


def _ids(db, team=T):
    return [e.id for e in rows(db, AuditEvent, AuditEvent.team_id == team)]


def test_a_trail_written_through_the_services_verifies(seeded):
    seeded.advance()

    check = _verify(seeded.db)

    events = rows(seeded.db, AuditEvent, AuditEvent.team_id == T)
    assert check.ok and check.events == len(events) > 10
    assert check.head_hash == events[-1].hash and check.head_at == events[-1].created_at
    assert events[0].prev_hash is None
    assert all(b.prev_hash == a.hash for a, b in itertools.pairwise(events))
    [head] = rows(seeded.db, AuditChainHead, AuditChainHead.team_id == T)
    assert (head.head_hash, head.head_event_id, head.events) == (
        events[-1].hash,
        events[-1].id,
        len(events),
    )


def test_each_workspace_has_its_own_chain(db, clock):
    seed_project(db, T)
    seed_project(db, T_OTHER)

    assert _verify(db, T).ok and _verify(db, T_OTHER).ok
    first_other = rows(db, AuditEvent, AuditEvent.team_id == T_OTHER)[0]
    assert first_other.prev_hash is None


def test_editing_a_row_is_named(seeded):
    victim = _ids(seeded.db)[3]
    with seeded.db.engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_events SET actor = 'U_MALLORY' WHERE id = :id"), {"id": victim}
        )

    check = _verify(seeded.db)

    assert not check.ok and check.broken.event_id == victim and check.broken.problem == CHANGED
    assert check.broken.actor == "U_MALLORY"


def test_editing_the_details_json_is_named(seeded):
    victim = _ids(seeded.db)[2]
    with seeded.db.engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_events SET detail = :d WHERE id = :id"),
            {"id": victim, "d": '{"role": "ml_architect", "user": "U_MALLORY", "lead": true}'},
        )

    check = _verify(seeded.db)

    assert check.broken.event_id == victim and check.broken.problem == CHANGED


def test_deleting_a_row_names_the_event_after_the_gap(seeded):
    ids = _ids(seeded.db)
    with seeded.db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE id = :id"), {"id": ids[4]})

    check = _verify(seeded.db)

    assert check.broken.event_id == ids[5] and check.broken.problem == MISSING


def test_deleting_the_newest_rows_is_named_by_the_chain_head(seeded):
    ids = _ids(seeded.db)
    with seeded.db.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_events WHERE id >= :id"), {"id": ids[-2]})

    check = _verify(seeded.db)

    assert check.broken.problem.startswith(TAIL_MISSING) and check.broken.event_id == ids[-3]
    assert f"names event #{ids[-1]} of {len(ids)})" in check.broken.problem


FORGED_AT = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _forge(conn, event_id, prev_hash, digest="0" * 64, seq=None):
    conn.execute(
        text(
            "INSERT INTO audit_events (id, team_id, project_id, project_key, actor, action, detail,"
            " created_at, prev_hash, hash, seq) VALUES (:id, :t, NULL, 'churn-model', 'U_MALLORY',"
            " 'signoff.approved', '{}', '2026-03-02 09:00:00', :p, :h, :seq)"
        ),
        {"id": event_id, "t": T, "p": prev_hash, "h": digest, "seq": seq},
    )


def test_inserting_a_row_at_the_end_is_named(seeded):
    last = rows(seeded.db, AuditEvent, AuditEvent.team_id == T)[-1]
    with seeded.db.engine.begin() as conn:
        _forge(conn, last.id + 50, last.hash)

    check = _verify(seeded.db)

    assert check.broken.event_id == last.id + 50 and check.broken.problem == TAIL_INSERTED


def test_inserting_a_row_in_the_middle_is_named(seeded):
    # A careful forger: a correct hash linked to its predecessor, later rows renumbered.
    ours = rows(seeded.db, AuditEvent, AuditEvent.team_id == T)
    before = ours[5]
    digest = event_hash(
        before.hash,
        team_id=T,
        project_id=None,
        project_key="churn-model",
        actor="U_MALLORY",
        action="signoff.approved",
        detail={},
        created_at=FORGED_AT,
    )
    forged_id = ours[-1].id + 100
    with seeded.db.engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_events SET seq = seq + 1 WHERE team_id = :t AND seq > :k"),
            {"t": T, "k": before.seq},
        )
        _forge(conn, forged_id, before.hash, digest, seq=before.seq + 1)

    check = _verify(seeded.db)

    assert check.broken.event_id == forged_id and check.broken.problem == INSERTED


def test_events_of_one_transaction_are_linked_in_the_order_recorded(db):
    with db.session() as s:
        for n in range(3):
            audit.record(s, Actor(T, "U_ME"), "workspace.note", n=n)

    events = rows(db, AuditEvent, AuditEvent.team_id == T)
    assert [e.detail["n"] for e in events] == [0, 1, 2] and [e.seq for e in events] == [1, 2, 3]
    assert _verify(db).ok


def test_an_event_rolled_back_with_its_savepoint_is_not_linked(db):
    with db.session() as s:
        audit.record(s, Actor(T, "U_ME"), "workspace.note", n=0)
        try:
            with s.begin_nested():
                audit.record(s, Actor(T, "U_ME"), "workspace.note", n=1)
                raise RuntimeError("refused")
        except RuntimeError:
            pass
        audit.record(s, Actor(T, "U_ME"), "workspace.note", n=2)

    events = rows(db, AuditEvent, AuditEvent.team_id == T)
    assert [e.detail["n"] for e in events] == [0, 2] and _verify(db).ok


def _wait_for(ready, writers, timeout=60.0):
    deadline = time.monotonic() + timeout
    while not ready():
        assert all(w.poll() is None for w in writers), "a writer died before the start"
        assert time.monotonic() < deadline, "the writers never got ready"
        time.sleep(0.01)


def test_writers_in_two_processes_form_one_chain(db, tmp_path):
    schema = ""
    if db.backend == "postgresql":
        with db.engine.connect() as conn:
            schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    go = tmp_path / "go1"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    writers = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "tests.models.audit_writer",
                db.url,
                schema,
                T,
                "40",
                str(go),
                w,
            ],
            cwd=ROOT,
            env=env,
            stderr=subprocess.PIPE,
            text=True,
        )
        for w in ("a", "b")
    ]
    _wait_for(lambda: all(Path(f"{go}.ready-{w}").exists() for w in ("a", "b")), writers)
    go.touch()
    for w in writers:
        _, err = w.communicate(timeout=120)
        assert w.returncode == 0, err

    check = _verify(db)

    events = rows(db, AuditEvent, AuditEvent.team_id == T)
    assert check.ok, check.broken
    assert check.events == len(events) == 80
    writers_seen = [e.detail["writer"] for e in events]
    # Interleaved on PostgreSQL (lock waiters queue in order): the two really wrote at once.
    # SQLite's busy handler may let one process finish first; the chain must hold either way.
    switches = sum(1 for a, b in itertools.pairwise(writers_seen) if a != b)
    assert switches > 1 if db.backend == "postgresql" else switches >= 1
