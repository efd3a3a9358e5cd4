"""The `baton` command on a real database file, run in this process (tests/bot/cli.py)."""

from __future__ import annotations

import csv
import io
import json

import pytest

from bot.db import make_engine, make_session_factory, migrate, session_scope
from models.enums import Role
from models.schemas.base import Actor
from models.services import projects, roster
from tests.bot.cli import baton


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path}/cli.db"


def _seed(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    actor = Actor("THOME", "UCREATOR")
    with session_scope(make_session_factory(engine)) as s:
        projects.create_project(s, actor, "churn-model", "Churn, model", "CCHURN")
        roster.assign_role(s, actor, "churn-model", Role.DATA_SCIENTIST, "UDS", lead=True)
    engine.dispose()


def test_every_command_has_help(tmp_path, db_url):
    for args in (
        [],
        ["db", "upgrade"],
        ["policy", "check"],
        ["project", "list"],
        ["audit", "export"],
        ["serve"],
        ["socket"],
        ["manifest"],
    ):
        result = baton(*args, "--help", db_url=db_url, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "Usage:" in result.stdout


def test_db_upgrade_then_project_list(tmp_path, db_url):
    assert baton("db", "upgrade", db_url=db_url, cwd=tmp_path).returncode == 0
    assert baton("project", "list", db_url=db_url, cwd=tmp_path).stdout.strip() == "no projects"
    _seed(db_url)
    out = baton("project", "list", db_url=db_url, cwd=tmp_path).stdout
    assert out == "THOME\tchurn-model\tmanage\tChurn, model\n"


def test_audit_export_csv_and_json(tmp_path, db_url):
    _seed(db_url)
    out = baton("audit", "export", "--project", "churn-model", db_url=db_url, cwd=tmp_path)
    rows = list(csv.DictReader(io.StringIO(out.stdout)))
    assert [r["action"] for r in rows] == ["project.created", "role.assigned"]
    assert json.loads(rows[1]["detail"]) == {"lead": True, "role": "data_scientist", "user": "UDS"}
    out = baton(
        "audit",
        "export",
        "--project",
        "churn-model",
        "--format",
        "json",
        db_url=db_url,
        cwd=tmp_path,
    )
    events = json.loads(out.stdout)["events"]  # the dossier, its trail inside
    assert [e["actor"]["id"] for e in events] == ["UCREATOR", "UCREATOR"]
    missing = baton("audit", "export", "--project", "nope", db_url=db_url, cwd=tmp_path)
    assert missing.returncode != 0 and "no project 'nope'" in missing.stderr


def test_policy_check(tmp_path, db_url):
    good = tmp_path / "good.yaml"
    good.write_text(
        "transitions:\n  - from: manage\n    to: develop\n    signoff: [architect]\n"
        "    receivers: [ds]\n    sla_hours: 12\n    fields:\n      - {key: goal, label: Goal}\n"
    )
    result = baton("policy", "check", str(good), db_url=db_url, cwd=tmp_path)
    assert (
        result.returncode == 0 and "ok  manage → develop: sign-off by ml_architect" in result.stdout
    )
    bad = tmp_path / "bad.yaml"
    bad.write_text(good.read_text().replace("sla_hours: 12", "sla_hours: -1"))
    result = baton("policy", "check", str(bad), db_url=db_url, cwd=tmp_path)
    assert result.returncode == 1
    assert "line 6: transitions.0.sla_hours: Input should be greater than 0" in result.stderr


def test_serve_without_secrets_stops_with_a_clear_message(tmp_path, db_url):
    result = baton("serve", db_url=db_url, cwd=tmp_path)
    assert result.returncode == 1
    assert "SLACK_BOT_TOKEN is not set" in result.stderr


def test_manifest_fills_in_the_url(tmp_path, db_url):
    out = baton("manifest", "--url", "https://baton.acme.io/", db_url=db_url, cwd=tmp_path).stdout
    assert out.count("https://baton.acme.io/slack/events") == 3
    assert "should_escape: true" in out and "YOUR-HOST" not in out


def test_project_list_by_workspace_and_with_archived_projects(tmp_path, db_url):
    _seed(db_url)
    engine = make_engine(db_url)
    other = Actor("TOTHER", "UOTHER")
    with session_scope(make_session_factory(engine)) as s:
        projects.create_project(s, other, "fraud", "Fraud", "CFRAUD")
        projects.create_project(s, other, "old-model", "Old model", "COLD")
    with session_scope(make_session_factory(engine)) as s:
        projects.archive_project(s, other, "old-model")
    engine.dispose()

    def listed(*args: str) -> str:
        result = baton("project", "list", *args, db_url=db_url, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert listed() == "THOME\tchurn-model\tmanage\tChurn, model\nTOTHER\tfraud\tmanage\tFraud\n"
    assert listed("--all").splitlines() == [
        "THOME\tchurn-model\tmanage\tChurn, model",
        "TOTHER\tfraud\tmanage\tFraud",
        "TOTHER\told-model\tarchived\tOld model",
    ]
    assert listed("--team", "TOTHER") == "TOTHER\tfraud\tmanage\tFraud\n"
    assert listed("--team", "TOTHER", "--all").count("TOTHER\t") == 2
    assert listed("--team", "TNONE") == "no projects\n"
