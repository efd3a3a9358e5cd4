"""Engine, sessions and migrations. One session per unit of work, never shared across threads."""

from __future__ import annotations

import functools
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

import models

MIGRATIONS_DIR = Path(models.__file__).parent / "migrations"
READ_ONLY = "baton_read_only"  # execution option: this transaction only reads
_HOLDS_WRITER = "baton_holds_writer"
WRITER_WAIT_SECONDS = 30.0


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url, **kwargs)
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _sqlite_engine(url: str, **kwargs: Any) -> Engine:
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy, not pysqlite, decide when transactions begin (see "begin" below).
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        if ":memory:" not in url and url not in ("sqlite://", "sqlite+pysqlite://"):
            _use_wal(cursor)
        cursor.close()

    # SQLite has one writer at a time. Threads of this process queue for it here, in order,
    # rather than in SQLite's busy handler, which polls with sleeps of up to 100 ms. Held from
    # BEGIN IMMEDIATE until the connection goes back to the pool, i.e. after its commit.
    writer = threading.Lock()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(READ_ONLY):
            conn.exec_driver_sql("BEGIN")  # WAL: readers see a snapshot and never wait
            return
        info = conn.connection.info  # the pooled connection's: it outlives this checkout
        if not info.get(_HOLDS_WRITER) and writer.acquire(timeout=WRITER_WAIT_SECONDS):
            info[_HOLDS_WRITER] = True  # (on a time-out, SQLite's own busy handler decides)
        # Take the write lock up front: a read-then-write unit of work can never act on a
        # stale read, which is what keeps two racing clicks to one decision on SQLite.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    def _release_writer(_dbapi_conn: Any, record: Any, *_: Any) -> None:
        if record.info.pop(_HOLDS_WRITER, False):
            writer.release()

    event.listen(engine, "checkin", _release_writer)
    event.listen(engine, "invalidate", _release_writer)
    return engine


def _use_wal(cursor: sqlite3.Cursor) -> None:
    """Switch a file database to WAL. The switch needs the file to itself and SQLite answers
    "database is locked" at once, without its busy handler, while another process holds a
    write lock (a second `baton` process starting beside one that migrates): wait for it as
    long as busy_timeout would."""
    deadline = time.monotonic() + WRITER_WAIT_SECONDS
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() >= deadline:
                raise
            time.sleep(0.05)


def read_only(engine: Engine) -> Engine:
    """The same engine and pool, for units of work that only read: on SQLite they do not take
    the write lock, so a status card never waits behind a click."""
    return engine.execution_options(**{READ_ONLY: True})


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def session_scope(factory: Callable[[], Session]) -> Iterator[Session]:
    """A session in a transaction: committed when the block ends, rolled back on error."""
    with factory() as session, session.begin():
        yield session


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    if engine is not None:
        # ConfigParser interpolates '%': escape it (URL-encoded passwords, search_path options).
        url = engine.url.render_as_string(hide_password=False).replace("%", "%%")
        config.set_main_option("sqlalchemy.url", url)
    return config


@functools.cache
def _head_revision() -> str | None:
    """The code's head revision: the migration scripts are read once per process."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to `revision`; every migration keeps existing rows."""
    with engine.begin() as conn:
        if revision == "head" and _current_revision(conn) == _head_revision():
            return  # nothing to do, and alembic would read every script again to learn it
        config = alembic_config(engine)
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def schema_revision(engine: Engine) -> tuple[str | None, str | None]:
    """(revision the database is at, head revision of the code)."""
    with engine.connect() as conn:
        return _current_revision(conn), _head_revision()


def _current_revision(conn: Connection) -> str | None:
    return MigrationContext.configure(conn).get_current_revision()


class SchemaNotReady(Exception):
    """The configured database is missing, unreachable or not migrated to head."""


def require_schema(url: str) -> None:
    """Raise SchemaNotReady unless the database at `url` exists and is at the head revision.

    Creates nothing: a plain connect would leave an empty SQLite file behind, so the file must
    be there already and is opened with mode=rw, which never creates one. (Not mode=ro: a
    read-only reader of a WAL database leaves -wal and -shm files that it cannot remove.)"""
    fix = "set BATON_DATABASE_URL to Baton's database, or create it with `baton db upgrade`"
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise SchemaNotReady(f"BATON_DATABASE_URL is not a database URL: {fix}") from None
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite":
        path = parsed.database or ""
        if path in ("", ":memory:") or not Path(path).is_file():
            raise SchemaNotReady(f"no database at {shown}: {fix}")
    try:
        engine = _probe_engine(parsed)
        try:
            current, head = schema_revision(engine)
        finally:
            engine.dispose()
    except (SQLAlchemyError, ImportError) as exc:  # ImportError: the URL's driver is missing
        reason = str(getattr(exc, "orig", None) or exc).splitlines()[0]
        raise SchemaNotReady(f"cannot open the database at {shown} ({reason}): {fix}") from None
    if current != head:
        at = f"is at schema revision {current}" if current else "has no Baton schema yet"
        raise SchemaNotReady(
            f"the database at {shown} {at} (this Baton needs {head}): run `baton db upgrade`, "
            "or set BATON_DATABASE_URL to Baton's database"
        )


def _probe_engine(url: URL) -> Engine:
    """An engine that only looks: SQLite without creating a file, a server without waiting long."""
    if url.get_backend_name() == "sqlite":
        uri = Path(url.database or "").resolve().as_uri() + "?mode=rw"
        return create_engine("sqlite://", creator=lambda: sqlite3.connect(uri, uri=True))
    timeout = {"connect_timeout": 10} if url.get_backend_name() == "postgresql" else {}
    return create_engine(url, connect_args=timeout)
