"""Migrations build the schema the models describe, on SQLite and PostgreSQL, and keep rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import (
    JSON,
    Boolean,
    Column,
    Date,
    DateTime,
    Engine,
    Enum,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Table,
    inspect,
    select,
    text,
)

import models
from bot.db import alembic_config, make_engine, make_session_factory, migrate, schema_revision
from models.enums import OutboxStatus, Stage
from models.outbox import OutboxMessage
from models.schemas.base import Actor
from models.services import lineage, projects
from tests.conftest import drop_postgres_schema, postgres_schema_engine

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


def _fresh_postgres() -> Iterator[Engine]:
    engine, schema = postgres_schema_engine("baton_migrate")
    try:
        yield engine
    finally:
        engine.dispose()
        drop_postgres_schema(schema)


@pytest.fixture(params=["sqlite", "postgresql"])
def empty(request: pytest.FixtureRequest, tmp_path) -> Iterator[Engine]:
    """An engine on a database with no tables at all."""
    if request.param == "sqlite":
        engine = make_engine(f"sqlite:///{tmp_path}/fresh.db")
        yield engine
        engine.dispose()
    else:
        yield from _fresh_postgres()


def test_there_is_one_head_revision():
    heads = ScriptDirectory.from_config(alembic_config()).get_heads()

    assert heads == [HEAD]


def test_upgrading_an_empty_database_reaches_head(empty):
    assert schema_revision(empty) == (None, HEAD)

    migrate(empty)

    assert schema_revision(empty) == (HEAD, HEAD)
    tables = set(inspect(empty).get_table_names())
    assert tables == {t.name for t in models.Base.metadata.sorted_tables} | {"alembic_version"}


def test_the_migrated_schema_is_what_the_models_describe(empty):
    migrate(empty)

    with empty.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, models.Base.metadata)

    assert differences == []


def test_the_partial_unique_indexes_exist(empty):
    migrate(empty)

    indexes = {
        table: {i["name"]: i["unique"] for i in inspect(empty).get_indexes(table)}
        for table in ("handoffs", "role_assignments")
    }
    assert indexes["handoffs"]["uq_handoffs_one_open_per_project"]
    assert indexes["role_assignments"]["uq_role_assignments_active_lead"]
    assert indexes["role_assignments"]["uq_role_assignments_active_member"]


def test_rows_survive_running_the_migrations_again(empty):
    migrate(empty)
    factory = make_session_factory(empty)
    with factory() as s, s.begin():
        projects.create_project(s, Actor("T_HOME", "U_CREATOR"), "churn-model", None, "C_1")

    migrate(empty)
    migrate(empty)

    assert schema_revision(empty) == (HEAD, HEAD)
    with factory() as s:
        (summary,) = projects.list_projects(s, "T_HOME")
    assert (summary.key, summary.stage, summary.created_by) == (
        "churn-model",
        Stage.MANAGE,
        "U_CREATOR",
    )


def test_rows_written_at_the_first_revision_survive_the_upgrade_to_head(empty):
    migrate(empty, "0001")
    with empty.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO projects (team_id, key, name, stage, channel_id, created_by, created_at)"
                " VALUES ('T_HOME', 'churn-model', 'Churn', 'develop', 'C_1', 'U_1', :now)"
            ),
            {"now": "2026-03-02 09:00:00"},
        )

    migrate(empty)

    assert schema_revision(empty) == (HEAD, HEAD)
    with make_session_factory(empty)() as s:
        (summary,) = projects.list_projects(s, "T_HOME")
    assert (summary.key, summary.name, summary.stage) == ("churn-model", "Churn", Stage.DEVELOP)


def test_model_versions_recorded_before_0005_keep_their_rows_and_have_no_source(empty):
    migrate(empty, "0004")
    with empty.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO projects (team_id, key, name, stage, channel_id, created_by, created_at)"
                " VALUES ('T_HOME', 'churn-model', 'Churn', 'deploy', 'C_1', 'U_1', :now)"
            ),
            {"now": "2026-03-02 09:00:00"},
        )
        conn.execute(
            text(
                "INSERT INTO model_versions (team_id, project_id, model_name, version, origin,"
                " recorded_by, recorded_at, data_source)"
                " SELECT 'T_HOME', id, 'churn-xgb', '3', 'mlflow', 'mlflow', :now, 's3://lake/x'"
                " FROM projects"
            ),
            {"now": "2026-03-02 09:00:00"},
        )

    migrate(empty)

    with make_session_factory(empty)() as s:
        (entry,) = lineage.lineage_of(s, "T_HOME", "churn-model")
    assert (entry.model_name, entry.version, entry.data_source) == ("churn-xgb", "3", "s3://lake/x")
    assert entry.model_source is None


def test_outbox_rows_queued_before_0006_are_slack_messages_and_still_delivered(empty):
    migrate(empty, "0005")
    with empty.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO outbox (team_id, topic, channel_id, data, status, attempts,"
                " next_attempt_at, created_at)"
                " VALUES ('T_HOME', 'project.advanced', 'C_1', '{}', 'pending', 0, :now, :now)"
            ),
            {"now": "2026-03-02 09:00:00"},
        )

    migrate(empty)

    with make_session_factory(empty)() as s:
        (row,) = s.scalars(select(OutboxMessage))
    assert (row.sink, row.sink_target, row.channel_id, row.status) == (
        "slack",
        None,
        "C_1",
        OutboxStatus.PENDING,
    )


def test_0006_downgrades_and_upgrades_again(empty):
    migrate(empty)
    with empty.begin() as conn:
        config = alembic_config(empty)
        config.attributes["connection"] = conn
        command.downgrade(config, "0005")
    assert "webhook_subscriptions" not in inspect(empty).get_table_names()
    assert "sink" not in {c["name"] for c in inspect(empty).get_columns("outbox")}
    migrate(empty)
    assert schema_revision(empty) == (HEAD, HEAD)


# -- every revision, every table: rows seeded there survive the upgrade and the downgrade ----

SCRIPTS = ScriptDirectory.from_config(alembic_config())
# Oldest first; a migration another branch adds is picked up here without editing the test.
EARLIER = [r.revision for r in reversed(list(SCRIPTS.walk_revisions())) if r.revision != HEAD]
SEEDED_PER_TABLE = 3
T0 = datetime(2026, 3, 2, 9, 0)


def _downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as conn:
        config = alembic_config(engine)
        config.attributes["connection"] = conn
        command.downgrade(config, revision)


def _reflect(engine: Engine) -> MetaData:
    meta = MetaData()
    meta.reflect(engine)
    meta.remove(meta.tables["alembic_version"])
    return meta


def _synthetic(table: Table, column: Column[Any], i: int) -> Any:
    """A value for row i: distinct per row (so every unique key holds), valid for the type,
    and, where the model knows the column's enum, one of its members."""
    modelled = models.Base.metadata.tables.get(table.name)
    model_type = (
        modelled.c[column.name].type if modelled is not None and column.name in modelled.c else None
    )
    if isinstance(model_type, Enum) and model_type.enums:
        return model_type.enums[i % len(model_type.enums)]
    kind = column.type
    if isinstance(kind, Boolean):
        return i % 2 == 0
    if isinstance(kind, Integer):
        return i + 1
    if isinstance(kind, Float | Numeric):
        return i + 0.5
    if isinstance(kind, DateTime):
        return T0 + timedelta(hours=i)
    if isinstance(kind, Date):
        return (T0 + timedelta(days=i)).date()
    if isinstance(kind, JSON):
        return {"row": i, "of": table.name, "list": [i, "x"]}
    if isinstance(kind, LargeBinary):
        return bytes([i, 0, 255])
    if isinstance(kind, String):  # String, Text, VARCHAR...
        value = f"{column.name}-{i}"
        length = kind.length
        return value if length is None or len(value) <= length else f"{i}{column.name}"[:length]
    raise AssertionError(f"no synthetic value for {table.name}.{column.name}: {kind!r}")


def _seed_every_table(engine: Engine, first: int = 0) -> dict[str, list[dict[str, Any]]]:
    """SEEDED_PER_TABLE rows (numbered from `first`) in every table there is, parents first;
    row i of a child points at row i of each parent. Returns the rows as the database gives
    them back."""
    meta = _reflect(engine)
    written: dict[str, list[dict[str, Any]]] = {}
    numbers = range(first, first + SEEDED_PER_TABLE)
    with engine.begin() as conn:
        for table in meta.sorted_tables:
            rows = []
            for i in numbers:
                row = {c.name: _synthetic(table, c, i) for c in table.columns}
                for fk in table.foreign_keys:
                    parent = written[fk.column.table.name][i - first]
                    row[fk.parent.name] = parent[fk.column.name]
                rows.append(row)
            conn.execute(table.insert(), rows)
            written[table.name] = rows
    assert set(written) == set(meta.tables)  # nothing skipped: every table has its rows
    return _read_back(engine, {name: [] for name in written}, meta)


def _read_back(
    engine: Engine, tables: dict[str, Any], meta: MetaData | None = None
) -> dict[str, list[dict[str, Any]]]:
    """The rows of `tables` in the schema as it is (reflected unless `meta` already is)."""
    meta = meta or _reflect(engine)
    with engine.connect() as conn:
        return {
            name: [dict(r._mapping) for r in conn.execute(select(t).order_by(*t.primary_key))]
            for name, t in meta.tables.items()
            if name in tables
        }


def _assert_kept(
    engine: Engine, seeded: dict[str, list[dict[str, Any]]], when: str, meta: MetaData | None = None
) -> None:
    now = _read_back(engine, seeded, meta)
    for name, rows in seeded.items():
        assert name in now, f"{when}: table {name} is gone with its rows"
        kept = now[name]
        assert len(kept) == len(rows), f"{when}: {name} has {len(kept)} of {len(rows)} rows"
        for before, after in zip(rows, kept, strict=True):
            surviving = {c: v for c, v in before.items() if c in after}
            assert {c: after[c] for c in surviving} == surviving, f"{when}: {name} changed"


@pytest.mark.parametrize("revision", EARLIER)
def test_rows_of_every_table_survive_upgrade_from_each_revision_and_the_downgrade_back(
    empty, revision
):
    """One round trip per revision and backend: rows seeded in every table at `revision`
    survive the upgrade to head; rows then seeded in every table at head, the tables and the
    columns later revisions added included, survive the downgrade back in every table that
    remains, beside the first rows."""
    migrate(empty, revision)
    seeded = _seed_every_table(empty)
    assert all(len(rows) == SEEDED_PER_TABLE for rows in seeded.values())

    migrate(empty)
    assert schema_revision(empty) == (HEAD, HEAD)
    _assert_kept(empty, seeded, f"upgraded {revision} -> {HEAD}")

    # Read back whole: the rows from `revision` as upgraded, then those added at head.
    at_head = _seed_every_table(empty, first=SEEDED_PER_TABLE)
    assert set(at_head) == {t.name for t in models.Base.metadata.sorted_tables}
    assert all(len(at_head[name]) == 2 * SEEDED_PER_TABLE for name in seeded)

    # Each downgrade drops only what its upgrade added (tables, or 0005's column): exactly
    # the tables of `revision` remain, holding both sets of rows.
    _downgrade(empty, revision)
    assert schema_revision(empty) == (revision, HEAD)
    meta = _reflect(empty)
    assert set(meta.tables) == set(seeded)
    remaining = {name: rows for name, rows in at_head.items() if name in seeded}
    _assert_kept(empty, remaining, f"downgraded {HEAD} -> {revision}", meta)


def test_every_revision_but_head_is_tested_from():
    assert EARLIER[0] == "0001" and len(EARLIER) == len(list(SCRIPTS.walk_revisions())) - 1
