"""Commands that read or change data on a database that is missing, empty or behind: one line
naming BATON_DATABASE_URL and `baton db upgrade`, a non-zero exit, and nothing created or
migrated. Only `db upgrade`, `serve`, `socket`, `worker` and `sandbox` create or migrate."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.exc import OperationalError

from bot.db import make_engine, migrate, schema_revision
from tests.bot.cli import Ran, baton
from tests.conftest import IN_CI, PG_URL

DATA_COMMANDS = [
    ["project", "list"],
    ["audit", "export", "--project", "churn-model"],
    ["api-token", "create", "ci"],
    ["api-token", "list"],
    ["api-token", "revoke", "ci"],
    ["outbox", "list"],
    ["outbox", "retry", "1"],
    ["digest"],
]
IDS = [" ".join(c[:2]) for c in DATA_COMMANDS]


def snapshot(folder: Path) -> dict[str, str]:
    """Every file in `folder` with a digest of its bytes."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.iterdir()}


def refused(result: Ran) -> str:
    assert result.returncode == 1, result
    assert result.stdout == ""
    (line,) = result.stderr.splitlines()  # one line, no traceback
    assert "BATON_DATABASE_URL" in line and "`baton db upgrade`" in line
    return line


@pytest.mark.parametrize("args", DATA_COMMANDS, ids=IDS)
def test_a_missing_database_file_is_named_and_not_created(tmp_path, args):
    line = refused(baton(*args, db_url=f"sqlite:///{tmp_path}/nope.db", cwd=tmp_path))
    assert line == (
        f"Error: no database at sqlite:///{tmp_path}/nope.db: set BATON_DATABASE_URL to Baton's "
        "database, or create it with `baton db upgrade`"
    )
    assert snapshot(tmp_path) == {}


@pytest.mark.parametrize("args", DATA_COMMANDS, ids=IDS)
def test_without_baton_database_url_no_stray_baton_db_is_left(tmp_path, args):
    line = refused(baton(*args, db_url=None, cwd=tmp_path))
    assert "no database at sqlite:///baton.db" in line
    assert snapshot(tmp_path) == {}


@pytest.mark.parametrize("args", DATA_COMMANDS, ids=IDS)
def test_an_empty_database_file_is_left_as_it_is(tmp_path, args):
    (tmp_path / "empty.db").write_bytes(b"")
    line = refused(baton(*args, db_url=f"sqlite:///{tmp_path}/empty.db", cwd=tmp_path))
    assert "has no Baton schema yet" in line
    assert snapshot(tmp_path) == {"empty.db": hashlib.sha256(b"").hexdigest()}


@pytest.mark.parametrize("args", DATA_COMMANDS, ids=IDS)
def test_a_database_behind_the_code_is_not_migrated(tmp_path, args):
    url = f"sqlite:///{tmp_path}/old.db"
    engine = make_engine(url)
    migrate(engine, "0003")
    engine.dispose()
    before = snapshot(tmp_path)

    line = refused(baton(*args, db_url=url, cwd=tmp_path))

    assert snapshot(tmp_path) == before
    current, head = schema_revision(engine)
    engine.dispose()
    assert f"is at schema revision 0003 (this Baton needs {head})" in line
    assert current == "0003"


def test_db_upgrade_creates_what_the_other_commands_then_use(tmp_path):
    url = f"sqlite:///{tmp_path}/new.db"
    assert baton("db", "upgrade", db_url=url, cwd=tmp_path).returncode == 0
    assert baton("project", "list", db_url=url, cwd=tmp_path).stdout == "no projects\n"


def test_an_unreachable_server_is_named_without_its_password(tmp_path):
    url = "postgresql+psycopg://baton:s3cret-pw@127.0.0.1:1/baton"
    line = refused(baton("project", "list", db_url=url, cwd=tmp_path))
    assert line.startswith(
        "Error: cannot open the database at postgresql+psycopg://baton:***@127.0.0.1:1/baton ("
    )
    assert "s3cret-pw" not in line


@pytest.fixture
def pg_schema() -> Iterator[tuple[str, str]]:
    """An empty PostgreSQL schema of its own, and the URL that selects it."""
    schema = f"baton_cli_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as exc:  # unreachable: fail in CI, skip locally
        admin.dispose()
        if IN_CI:
            pytest.fail(f"PostgreSQL at {PG_URL} is unreachable in CI: {exc}", pytrace=False)
        pytest.skip(f"PostgreSQL unreachable at {PG_URL} (runs in CI)")
    try:
        yield schema, f"{PG_URL}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def test_postgresql_without_the_schema_or_behind_it_is_left_alone(tmp_path, pg_schema):
    schema, url = pg_schema
    engine = make_engine(url)
    for args in DATA_COMMANDS:
        assert "has no Baton schema yet" in refused(baton(*args, db_url=url, cwd=tmp_path))
    assert inspect(engine).get_table_names(schema=schema) == []

    migrate(engine, "0003")
    tables = sorted(inspect(engine).get_table_names(schema=schema))  # PostgreSQL keeps no order
    for args in DATA_COMMANDS:
        line = refused(baton(*args, db_url=url, cwd=tmp_path))
        assert "is at schema revision 0003" in line
    assert schema_revision(engine)[0] == "0003"
    assert sorted(inspect(engine).get_table_names(schema=schema)) == tables
    engine.dispose()


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("not a url", "BATON_DATABASE_URL is not a database URL"),
        ("nosuchdb://host/db", "cannot open the database at nosuchdb://host/db ("),
    ],
)
def test_a_url_baton_cannot_use_is_named(tmp_path, url, says):
    assert says in refused(baton("outbox", "list", db_url=url, cwd=tmp_path))
    assert snapshot(tmp_path) == {}


def test_a_database_file_whose_name_needs_quoting_is_found(tmp_path):
    url = f"sqlite:///{tmp_path}/odd name #1.db"  # '#' ends the path of a file: URI unquoted
    assert baton("db", "upgrade", db_url=url, cwd=tmp_path).returncode == 0
    assert (tmp_path / "odd name #1.db").is_file()
    assert baton("project", "list", db_url=url, cwd=tmp_path).stdout == "no projects\n"
