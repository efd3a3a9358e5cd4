"""The evidence dossier of a seeded project: every decision with names, the rules each
hand-off was judged by (even after a policy change), lineage, monitors, the chain's result;
HTML that is well-formed and escapes typed text; Markdown and CSV that keep their shape."""

from __future__ import annotations

import csv
import io
import json
from html.parser import HTMLParser

from sqlalchemy import text

from bot.dossier_render import render_dossier
from models import AuditChainHead, AuditEvent, SignOff
from models.base import utcnow
from models.enums import Role
from models.services import dossier
from tests.models.conftest import KEY, LEADS, T, rows
from tests.models.dossier_seed import NAMES, TRICKY, name_everyone, seed_lifecycle
from tests.models.test_rules_in_force import _stricter_policy


def _build(seeded, policy=None):
    with seeded.db.session() as s:
        return dossier.build(s, T, KEY, policy or seeded.policy, utcnow())


def test_every_decision_is_there_with_the_persons_name_role_time_and_reason(db, clock):
    seeded, _ = seed_lifecycle(db)
    name_everyone(db)

    d = _build(seeded)

    signoffs = rows(db, SignOff)
    decisions = [x for h in d.handoffs for x in h.decisions]
    assert len(decisions) == len(signoffs) == 8  # 1 + 2 + 2 + 3
    assert {(x.person.id, x.person.name) for x in decisions} <= set(NAMES.items())
    first = d.handoffs[0]
    asked = next(x for x in first.decisions if x.decision == "changes_requested")
    assert (asked.person.name, asked.role, asked.reason, asked.round) == (
        "Mei Tanaka",
        Role.DOMAIN_EXPERT.label,
        "Name the holdout set",
        1,
    )
    assert [e.sentence for e in first.refusals] == [
        "Mallory tried to approve manage → develop — refused: "
        "Only the lead of a required role can approve this."
    ]
    assert d.unnamed == [] and d.chain.ok
    [head] = rows(db, AuditChainHead)
    assert d.chain.head_hash == head.head_hash and d.chain.events == head.events


def test_lineage_monitors_and_the_retrain_handoff(db, clock):
    seeded, _ = seed_lifecycle(db)
    name_everyone(db)

    d = _build(seeded)

    [version] = d.lineage
    assert (version.model_name, version.training_data) == ("churn-xgb", "customers@2026-02-01")
    assert version.data_source == "s3://lake/customers/2026-02-01"
    # Priya (data scientist) requested develop → deploy, so Lena (ML architect) signed for her
    assert {p.name for p in version.approvers} == {"Lena Fischer", "Mei Tanaka"}
    [monitor] = d.monitors
    [alert] = monitor.alerts
    assert alert.acknowledged_by.name == "Priya Raman" and alert.value == 0.74
    assert [h.retrain for h in d.handoffs] == [False, False, False, True]
    [reminder] = d.handoffs[-1].reminders
    assert (reminder.kind, reminder.role, reminder.round) == ("reminder", "Data scientist", 1)
    assert [s.stage for s in d.stage_history] == ["manage", "develop", "deploy", "monitor"]


def test_a_policy_change_leaves_the_dossier_on_the_old_rules(db, clock):
    seeded, _ = seed_lifecycle(db)

    d = _build(seeded, _stricter_policy())

    first = d.handoffs[0]
    assert first.rules.from_snapshot and first.rules.sla_hours == 48
    assert first.rules.signoff == [Role.DOMAIN_EXPERT.label, Role.ML_ARCHITECT.label]
    assert first.rules.fields[0]["label"] == "Objective"
    assert first.packet[0].label == "Objective"


def test_names_fall_back_to_ids_when_slack_never_named_them(db, clock):
    seeded, _ = seed_lifecycle(db)

    d = _build(seeded)

    assert LEADS[Role.DOMAIN_EXPERT] in d.unnamed
    assert d.handoffs[0].requested_by.name == LEADS[Role.DATA_SCIENTIST]


class _Balance(HTMLParser):
    """Strict enough for a generated page: every opened element closes, in order."""

    VOID = {"meta", "br", "link", "img", "hr", "input"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        self.scripts += tag == "script"
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.problems.append(f"</{tag}> closes {self.stack[-1:] or 'nothing'}")
        else:
            self.stack.pop()


def test_the_html_is_well_formed_self_contained_and_escapes_typed_text(db, clock):
    seeded, _ = seed_lifecycle(db)
    name_everyone(db)

    page = render_dossier(_build(seeded), "html")

    parser = _Balance()
    parser.feed(page)
    parser.close()
    assert parser.problems == [] and parser.stack == []
    assert page.startswith("<!DOCTYPE html>") and parser.scripts == 0
    assert "<script>" not in page and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "http" not in page.split("<body>")[0]  # no external stylesheet or font
    assert "@media print" in page
    assert "Mei Tanaka" in page and "Name the holdout set" in page


def test_markdown_and_csv(db, clock):
    seeded, _ = seed_lifecycle(db)
    name_everyone(db)
    d = _build(seeded)

    md = render_dossier(d, "md")
    table = [line for line in md.splitlines() if line.startswith("| ")]
    assert all(line.count(" | ") == line.count("|") - 2 for line in table if "\\|" not in line)
    assert TRICKY not in md and "\\<script\\>" in md

    out = list(csv.DictReader(io.StringIO(render_dossier(d, "csv"))))
    assert len(out) == len(d.events)
    assert out[0]["sentence"] == "Grace Kim created project churn-model “Churn model”"
    assert out[0]["actor_name"] == "Grace Kim" and len(out[0]["hash"]) == 64
    assert json.loads(render_dossier(d, "json"))["chain"]["ok"] is True


def test_a_tampered_trail_shows_in_the_dossier(db, clock):
    seeded, _ = seed_lifecycle(db)
    victim = rows(db, AuditEvent)[4].id
    with db.engine.begin() as conn:
        conn.execute(
            text("UPDATE audit_events SET actor = 'U_MALLORY' WHERE id = :id"), {"id": victim}
        )

    d = _build(seeded)

    assert not d.chain.ok and d.chain.problem.startswith(f"event #{victim} (")
    assert "Audit chain FAILED" in render_dossier(d, "html")


def test_a_row_inserted_without_a_hash_still_gives_a_dossier_that_says_so(db, clock):
    seeded, _ = seed_lifecycle(db)
    with db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO audit_events (team_id, project_id, project_key, actor, action, detail,"
                " created_at) SELECT team_id, id, key, 'U_MALLORY', 'signoff.approved', '{}',"
                " created_at FROM projects"
            )
        )

    d = _build(seeded)

    assert not d.chain.ok and "inserted outside Baton" in d.chain.problem
    assert d.events[-1].hash is None and "Audit chain FAILED" in render_dossier(d, "html")
