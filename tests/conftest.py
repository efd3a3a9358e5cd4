"""Shared fixtures: `db` runs each test on SQLite and on a real PostgreSQL, `clock` controls time.

PostgreSQL gets a fresh schema per test run (so parallel runs and stale tables never meet);
each test starts from empty tables. With CI=true an unreachable PostgreSQL fails the run
instead of skipping it.
"""

from __future__ import annotations

import copy
import gc
import os
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import pytest
import time_machine
from sqlalchemy import Engine, delete, insert, select, text
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

    def fingerprint(self, *, without: tuple[str, ...] = ()) -> dict[str, str]:
        """Every row of every table (but those `without`) as one text per table, read in ONE
        statement: two fingerprints are equal exactly when dump() would be, at a fraction of
        its cost, for 'nothing changed' checks repeated per generated example."""
        with self.engine.connect() as conn:
            row = conn.execute(text(_fingerprint_sql(self.engine, without))).one()
        return dict(row._mapping)

    def tables_holding_rows(self) -> frozenset[str]:
        """The tables with at least one row, in one statement of EXISTS checks."""
        with self.engine.connect() as conn:
            row = conn.execute(text(_holding_sql(self.engine))).one()
        return frozenset(name for name, holds in row._mapping.items() if holds)

    def clear(self) -> None:
        tables = list(reversed(models.Base.metadata.sorted_tables))
        with self.engine.begin() as conn:
            if self.engine.dialect.name == "postgresql":
                # One round trip instead of one per table (8 ms -> 1.6 ms a test): psycopg
                # sends a statement without parameters as one simple query, several at once.
                quote = self.engine.dialect.identifier_preparer.quote
                conn.exec_driver_sql("; ".join(f"DELETE FROM {quote(t.name)}" for t in tables))
            else:
                for table in tables:
                    conn.execute(delete(table))


Seed = TypeVar("Seed")
# What each seed added, per database, seed, frozen instant and tables found holding rows: the
# new rows by table, the tables it left alone, the fingerprint of the others, what it returned.
_SEEDS: dict[tuple[Any, ...], Any] = {}


def seed_once(db: Database, seed: Callable[[Database], Seed]) -> Seed:
    """`seed(db)`, written through the services the first time per database (and per frozen
    instant, as rows carry timestamps), then copied back row for row, ids and timestamps
    included, for every later test that starts alike. A project and its roster cost 40-60 ms
    of services per test, the copy a few. The copy is checked against the services' rows by
    fingerprint, so every test starts from exactly the rows `seed` writes; ids given out later
    do not collide, as `clear` deletes and never resets a sequence."""
    instant = None
    if time_machine.escape_hatch.is_travelling():
        instant = datetime.now(UTC)
        if instant != datetime.now(UTC):  # a clock that ticks: no two seeds are alike
            return seed(db)
    holding = db.tables_holding_rows()
    # The engine itself, not its id(): kept here, it stays alive, so no later engine reuses it.
    key = (db.engine, f"{seed.__module__}.{seed.__qualname__}", instant, holding)
    kept = _SEEDS.get(key)
    if kept is not None:
        added, untouched, fingerprint, made = kept
        with db.engine.begin() as conn:
            for table, rows in added:
                conn.execute(insert(table), rows)
        assert db.fingerprint(without=untouched) == fingerprint
        return copy.copy(made)
    before = db.dump()
    made = seed(db)
    changed = {name: rows for name, rows in db.dump().items() if rows != before[name]}
    # Kept only when the seed wrote to tables that were empty (a fingerprint of those is its
    # rows alone) and left every other table as it found it.
    if not any(before[name] for name in changed):
        tables = models.Base.metadata.tables
        added = [
            (tables[name], [dict(zip(tables[name].c.keys(), row, strict=True)) for row in rows])
            for name, rows in changed.items()
        ]
        untouched = tuple(name for name in tables if name not in changed)
        _SEEDS[key] = (added, untouched, db.fingerprint(without=untouched), made)
    return copy.copy(made)


# The statements below, per dialect (and tables left out): each is the same text every time,
# and building it walks every column of every table.
_STATEMENTS: dict[tuple[str, ...], str] = {}


def _fingerprint_sql(engine: Engine, without: tuple[str, ...]) -> str:
    """One SELECT with a column per table: its rows in primary-key order, each column in a
    lossless text form (SQLite's quote(), PostgreSQL's row as JSON)."""
    key = ("fingerprint", engine.dialect.name, *without)
    if key not in _STATEMENTS:
        _STATEMENTS[key] = _build_fingerprint_sql(engine, without)
    return _STATEMENTS[key]


def _holding_sql(engine: Engine) -> str:
    key = ("holding", engine.dialect.name)
    if key not in _STATEMENTS:
        quote = engine.dialect.identifier_preparer.quote
        _STATEMENTS[key] = "SELECT " + ", ".join(
            f"EXISTS (SELECT 1 FROM {quote(t.name)}) AS {quote(t.name)}"
            for t in models.Base.metadata.sorted_tables
        )
    return _STATEMENTS[key]


def _build_fingerprint_sql(engine: Engine, without: tuple[str, ...]) -> str:
    quote = engine.dialect.identifier_preparer.quote
    columns = []
    for table in models.Base.metadata.sorted_tables:
        if table.name in without:
            continue
        name, order = quote(table.name), ", ".join(quote(c.name) for c in table.primary_key)
        if engine.dialect.name == "sqlite":
            cells = " || ',' || ".join(f"quote({quote(c.name)})" for c in table.columns)
            rows = f"SELECT {cells} AS r FROM {name} ORDER BY {order}"
            value = f"(SELECT coalesce(group_concat(r, char(10)), '') FROM ({rows}))"
        else:
            value = f"(SELECT coalesce(json_agg(t ORDER BY {order})::text, '') FROM {name} t)"
        columns.append(f"{value} AS {quote(table.name)}")
    return "SELECT " + ", ".join(columns)


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


# Modules whose tests share one expensive module-scoped fixture (a real MLflow server, ~25 s
# to start): under `--dist loadgroup` (see Makefile) all of a module's tests go to one xdist
# worker. Their `xdist_group` mark alone no longer does it: pytest-xdist 3.8 groups by an
# "@group" suffix it writes to `item._nodeid`, which pytest 9 no longer reads (a node's id is
# built from `_id`), so the controller never sees the group and splits the module.
ONE_WORKER_MODULES = ("tests/slackbot/test_mlflow_server.py",)


def pytest_collection_finish(session: pytest.Session) -> None:
    # The collected tests and every module they import live to the end of the run: kept out
    # of the cyclic garbage collector's sweeps, which otherwise walk them again and again.
    gc.freeze()


def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadGroupScheduling

    class ModuleGroups(LoadGroupScheduling):  # type: ignore[misc]
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return module if module in ONE_WORKER_MODULES else super()._split_scope(nodeid)

    return ModuleGroups(config, log)
