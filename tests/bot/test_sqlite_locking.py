"""SQLite has one writer: answers that only read must never wait behind it, and writers of one
process queue for it in order instead of polling SQLite's busy handler."""

from __future__ import annotations

import threading

from sqlalchemy import select, text

from bot.db import make_engine, make_session_factory, migrate, read_only, session_scope
from models.project import Project
from models.schemas.base import Actor
from models.services import projects


def _engine(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path}/lock.db")
    migrate(engine)
    return engine


def test_a_reading_session_answers_while_a_write_transaction_is_open(tmp_path):
    engine = _engine(tmp_path)
    writers, readers = make_session_factory(engine), make_session_factory(read_only(engine))
    with session_scope(writers) as writing:
        projects.create_project(writing, Actor("T1", "U1"), "churn-model", None, "C1")
        writing.flush()  # BEGIN IMMEDIATE: this transaction holds SQLite's write lock now
        with session_scope(readers) as reading:  # same thread: waiting would never end
            assert reading.scalars(select(Project.key)).all() == []  # the last commit's view
    with session_scope(readers) as reading:
        assert reading.scalars(select(Project.key)).all() == ["churn-model"]
    engine.dispose()


def test_writers_of_one_process_take_turns_and_none_is_lost(tmp_path):
    engine = _engine(tmp_path)
    writers = make_session_factory(engine)
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE counter (n INTEGER)"))
        conn.execute(text("INSERT INTO counter VALUES (0)"))
    start = threading.Barrier(16)

    def bump() -> None:
        start.wait()
        for _ in range(20):
            with session_scope(writers) as s:  # read, then write: safe only under the lock
                n = s.execute(text("SELECT n FROM counter")).scalar_one()
                s.execute(text("UPDATE counter SET n = :n"), {"n": n + 1})

    threads = [threading.Thread(target=bump) for _ in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT n FROM counter")).scalar_one() == 16 * 20
    engine.dispose()
