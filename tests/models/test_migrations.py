"""Migrations build the schema the models describe, on SQLite and PostgreSQL, and keep rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.exc import OperationalError

import models
from bot.db import alembic_config, make_engine, make_session_factory, migrate, schema_revision
from models.enums import OutboxStatus, Stage
from models.outbox import OutboxMessage
from models.schemas import Actor
from models.services import lineage, projects
from tests.conftest import IN_CI, PG_URL

HEAD = ScriptDirectory.from_config(alembic_config()).get_current_head()


def _fresh_postgres() -> Iterator[Engine]:
    schema = f"baton_migrate_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:
        admin.dispose()
        if IN_CI:
            pytest.fail(f"PostgreSQL at {PG_URL} is unreachable in CI: {exc.orig}", pytrace=False)
        pytest.skip(f"PostgreSQL unreachable at {PG_URL} (runs in CI)")
    engine = make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"})
    try:
        yield engine
    finally:
        engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


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
