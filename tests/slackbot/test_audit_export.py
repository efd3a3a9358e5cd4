"""The audit export "contains every event": CSV and JSON, from the REST API and from
`baton audit export` (in-process), compared row by row with the audit_events table on a trail
of dozens of events of many kinds, with other projects' and workspaces' events around it."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from bot.cli import main
from models.audit import AuditEvent
from models.enums import Decision, Role
from models.policy import DEFAULT_POLICY
from models.schemas.base import Actor
from models.services import audit, decisions, handoffs, monitoring, projects, roster
from tests.conftest import Database
from tests.slackbot.api_client import Api, make_token
from tests.slackbot.flow import PACKETS
from tests.slackbot.harness import HOME

AWKWARD = 'a, "quoted" value;\nsecond line – ünïcode <@U1> & 100%'


def build_trail(db: Database, seeded: Any) -> None:
    """Requests, decisions, rounds, roster changes, monitors and alerts on churn-model, and
    events of another project and another workspace that must stay out of its export."""
    creator, key = Actor(HOME, seeded.creator), seeded.key
    with db.session() as s:
        projects.create_project(s, creator, "fraud-model", "Fraud", "CFRAUD")
        projects.create_project(s, Actor("TOTHER", "UX"), key, "Same key elsewhere", "COTHER")
    for round_ in range(3):  # request, changes requested, resubmitted, ... approved
        with db.session() as s:
            view = handoffs.submit_packet(
                s, Actor(HOME, seeded.ds), key, None, PACKETS["develop"], DEFAULT_POLICY
            )
        decision = Decision.APPROVED if round_ == 2 else Decision.CHANGES_REQUESTED
        for lead in (seeded.domain, seeded.architect):
            with db.session() as s:
                reason = None if decision == Decision.APPROVED else f"round {round_}: {AWKWARD}"
                decisions.decide(s, Actor(HOME, lead), view.id, decision, DEFAULT_POLICY, reason)
            if decision != Decision.APPROVED:
                break
    with db.session() as s:
        for n in range(6):
            user = f"UTEMP{n}"
            roster.assign_role(s, creator, key, Role.DATA_ANALYST, user)
            if n % 2:
                roster.remove_role(s, creator, key, Role.DATA_ANALYST, user)
        monitoring.add_monitor(s, Actor(HOME, seeded.ds), key, "auc", "min", 0.8)
    base = datetime.now(UTC)
    for i, value in enumerate([0.9, 0.7, 0.95, 0.6]):  # breach, recover, breach
        with db.session() as s:
            monitoring.record_observation(
                s, Actor(HOME, seeded.ds), key, "auc", value, "api", base + timedelta(minutes=i)
            )
    with db.session() as s:
        monitoring.escalate_due(s, base + timedelta(hours=2), 30)
        project = projects.get_project(s, HOME, key)
        audit.record(s, creator, "note.awkward", project, text=AWKWARD, nested={"n": [1, 2.5]})


def table_rows(db: Database, key: str) -> list[dict[str, Any]]:
    with db.session() as s:
        project_id = projects.get_project(s, HOME, key).id
        events = s.scalars(
            select(AuditEvent)
            .where(AuditEvent.team_id == HOME, AuditEvent.project_id == project_id)
            .order_by(AuditEvent.id)
        ).all()
        return [
            {
                "id": e.id,
                "created_at": _utc(e.created_at),
                "project_key": e.project_key,
                "actor": e.actor,
                "action": e.action,
                "detail": e.detail,
            }
            for e in events
        ]


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


STRUCTURED = ("id", "created_at", "project_key", "actor", "action", "detail")


def from_json(body: str) -> list[dict[str, Any]]:
    """The structured columns; the readable ones (sentence, actor_name) are checked apart."""
    return [
        {
            **{k: e[k] for k in STRUCTURED},
            "created_at": _utc(datetime.fromisoformat(e["created_at"])),
        }
        for e in json.loads(body)
    ]


def from_dossier_json(body: str) -> list[dict[str, Any]]:
    """`baton audit export --format json` is the whole dossier; its events are the trail."""
    dossier = json.loads(body)
    return [
        {
            "id": e["id"],
            "created_at": _utc(datetime.fromisoformat(e["at"])),
            "project_key": dossier["key"],
            "actor": e["actor"]["id"],
            "action": e["action"],
            "detail": e["detail"],
        }
        for e in dossier["events"]
    ]


def from_csv(body: str) -> list[dict[str, Any]]:
    rows = list(csv.DictReader(io.StringIO(body)))
    return [
        {
            "id": int(r["id"]),
            "created_at": _utc(datetime.fromisoformat(r["created_at"])),
            "project_key": r["project_key"],
            "actor": r["actor"],
            "action": r["action"],
            "detail": json.loads(r["detail"]),
        }
        for r in rows
    ]


def cli_database_url(db: Database) -> str:
    if db.backend == "sqlite":
        return db.url
    with db.engine.connect() as conn:
        schema = conn.scalar(text("SELECT current_schema()"))
    return f"{db.url}?options=-csearch_path%3D{schema}"


@pytest.fixture
def trail(bot, db, seeded) -> list[dict[str, Any]]:
    build_trail(db, seeded)
    rows = table_rows(db, seeded.key)
    kinds = {r["action"] for r in rows}
    assert len(rows) >= 30 and len(kinds) >= 10, (len(rows), sorted(kinds))
    return rows


def test_the_api_export_is_the_table_row_by_row(bot, db, seeded, trail) -> None:
    api = Api(bot.url, make_token(db))
    as_json = api.get(f"/api/v1/projects/{seeded.key}/audit")
    as_csv = api.get(f"/api/v1/projects/{seeded.key}/audit?format=csv")
    assert (as_json.status_code, as_csv.status_code) == (200, 200)
    assert from_json(as_json.text) == trail
    assert from_csv(as_csv.text) == trail


def test_the_cli_export_is_the_table_row_by_row(bot, db, seeded, trail) -> None:
    runner = CliRunner()
    env = {"BATON_DATABASE_URL": cli_database_url(db)}
    exports = {}
    for fmt in ("json", "csv"):
        args = ["audit", "export", "--project", seeded.key, "--team", HOME, "--format", fmt]
        result = runner.invoke(main, args, env=env, catch_exceptions=False)
        assert result.exit_code == 0, result.output
        exports[fmt] = result.output
    assert from_dossier_json(exports["json"]) == trail
    assert from_csv(exports["csv"]) == trail


def test_the_api_export_reads_like_the_dossier_with_names_from_slack(
    bot, slack, db, seeded, trail
) -> None:
    slack.users.update({seeded.creator: "Grace Kim", seeded.domain: "Mei Tanaka"})
    api = Api(bot.url, make_token(db))
    as_csv = api.get(f"/api/v1/projects/{seeded.key}/audit?format=csv").text
    as_json = json.loads(api.get(f"/api/v1/projects/{seeded.key}/audit").text)

    runner = CliRunner()  # no bot token: the dossier reads the names the API looked up
    args = ["audit", "export", "--project", seeded.key, "--team", HOME, "--format", "csv"]
    env = {"BATON_DATABASE_URL": cli_database_url(db)}
    dossier_csv = runner.invoke(main, args, env=env, catch_exceptions=False).output
    rows = list(csv.reader(io.StringIO(as_csv)))
    assert rows == list(csv.reader(io.StringIO(dossier_csv)))
    header = rows[0]
    assert header[:4] == ["id", "created_at", "project_key", "actor"] and "sentence" in header
    first = as_json[0]
    assert (first["actor_name"], first["sentence"]) == (
        "Grace Kim",
        "Grace Kim created project churn-model “Churn model”",
    )
    assert all(e["sentence"] and e["actor_name"] for e in as_json)
    changes = [e["sentence"] for e in as_json if e["action"] == "signoff.changes_requested"]
    assert changes[0].startswith("Mei Tanaka asked for changes to manage → develop (round 1): “")
