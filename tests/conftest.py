"""Shared fixtures: `db` runs each test on SQLite and on a real PostgreSQL, `clock` controls time.

PostgreSQL gets a fresh schema per test run (so parallel runs and stale tables never meet);
each test starts from empty tables. With CI=true an unreachable PostgreSQL fails the run
instead of skipping it.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from sqlalchemy import Engine, delete, select, text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

import models
from bot.db import make_engine, make_session_factory, migrate, session_scope

PG_URL = os.environ.get("BATON_TEST_PG_URL", "postgresql+psycopg://root@127.0.0.1:5432/test")
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
BACKENDS = ["sqlite", "postgresql"]


@dataclass
class Database:
    backend: str
    engine: Engine
    factory: sessionmaker[Session]
    url: str

    @contextmanager
    def session(self) -> Iterator[Session]:
        with session_scope(self.factory) as s:
            yield s

    def dump(self) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of every table, for 'nothing changed' assertions."""
        with self.engine.connect() as conn:
            return {
                t.name: [tuple(r) for r in conn.execute(select(t).order_by(*t.primary_key))]
                for t in models.Base.metadata.sorted_tables
            }

    def clear(self) -> None:
        with self.engine.begin() as conn:
            for table in reversed(models.Base.metadata.sorted_tables):
                conn.execute(delete(table))


def _sqlite_engine(tmp_dir: str) -> tuple[Engine, str]:
    url = f"sqlite:///{tmp_dir}/baton-test.db"
    return make_engine(url), url


def drop_postgres_schema(schema: str) -> None:
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def postgres_schema_engine(prefix: str) -> tuple[Engine, str]:
    """A new schema `prefix_…` on the shared server and an engine whose search_path is it;
    the test fails in CI, or is skipped elsewhere, when PostgreSQL is unreachable."""
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        admin.dispose()
        if IN_CI:
            pytest.fail(f"PostgreSQL at {PG_URL} is unreachable in CI: {exc.orig}", pytrace=False)
        pytest.skip(f"PostgreSQL unreachable at {PG_URL} (runs in CI)")
    admin.dispose()
    # synchronous_commit=off, for this suite's sessions only: a commit is visible exactly as
    # before, it just does not wait for the shared server's WAL flush (1.8 ms -> 0.1 ms here).
    options = f"-csearch_path={schema} -csynchronous_commit=off"
    engine = make_engine(PG_URL, connect_args={"options": options})
    return engine, schema


@pytest.fixture(scope="session")
def databases(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    made: dict[str, Any] = {}
    yield made
    for backend, (db, schema) in made.items():
        db.engine.dispose()
        if backend == "postgresql":
            drop_postgres_schema(schema)


def _database(backend: str, databases: dict[str, Any], tmp: pytest.TempPathFactory) -> Database:
    if backend not in databases:
        if backend == "sqlite":
            engine, url = _sqlite_engine(str(tmp.mktemp("sqlite")))
            schema = ""
        else:
            (engine, schema), url = postgres_schema_engine("baton_test"), PG_URL
        migrate(engine)
        databases[backend] = (Database(backend, engine, make_session_factory(engine), url), schema)
    return databases[backend][0]


@pytest.fixture(params=BACKENDS)
def db(
    request: pytest.FixtureRequest,
    databases: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Database:
    database = _database(request.param, databases, tmp_path_factory)
    database.clear()
    return database


@pytest.fixture
def pg(databases: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Database:
    """PostgreSQL only, for tests of row locking and concurrent writers."""
    database = _database("postgresql", databases, tmp_path_factory)
    database.clear()
    return database


class Clock:
    def __init__(self, traveller: time_machine.Coordinates) -> None:
        self._traveller = traveller

    def now(self) -> datetime:
        return datetime.now(UTC)

    def advance(self, **delta: float) -> None:
        self._traveller.shift(timedelta(**delta))


@pytest.fixture
def clock() -> Iterator[Clock]:
    with time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=UTC), tick=False) as traveller:
        yield Clock(traveller)
