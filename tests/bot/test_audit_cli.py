"""`baton audit verify|anchor` and `baton policy history`, run as an operator would."""

from __future__ import annotations

import re

from sqlalchemy import text

from bot.db import make_engine, make_session_factory, session_scope
from models.enums import Role
from models.policy import DEFAULT_POLICY
from models.policy_versions import policy_hash
from models.schemas.base import Actor
from models.services import handoffs, roster
from tests.bot.test_cli import _seed, baton, db_url  # noqa: F401  (db_url is the fixture)

PACKET = {
    "objective": "Predict churn",
    "success_metric": "AUC >= 0.85",
    "data_sources": "warehouse.customers",
    "target_date": "2026-04-01",
}


def test_verify_passes_then_names_the_tampered_event(tmp_path, db_url):  # noqa: F811
    _seed(db_url)
    ok = baton("audit", "verify", db_url=db_url, cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert re.fullmatch(
        r"OK: 2 events, head [0-9a-f]{64} at \d{4}-\d\d-\d\dT[\d:.]+Z \(workspace THOME\)\n",
        ok.stdout,
    )
    anchor = baton("audit", "anchor", db_url=db_url, cwd=tmp_path)
    head = ok.stdout.split("head ")[1].split(" ")[0]
    assert anchor.returncode == 0 and anchor.stdout.startswith(f"THOME\t{head}\t")

    engine = make_engine(db_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_events SET detail = '{\"lead\": false}' WHERE id = 2"))
    engine.dispose()
    bad = baton("audit", "verify", "--team", "THOME", db_url=db_url, cwd=tmp_path)

    assert bad.returncode == 1
    assert bad.stdout.startswith("FAILED at event #2 (")
    assert "role.assigned by UCREATOR): content changed" in bad.stdout


def test_policy_history_lists_versions_seen(tmp_path, db_url):  # noqa: F811
    _seed(db_url)
    none = baton("policy", "history", db_url=db_url, cwd=tmp_path)
    assert none.returncode == 0 and "no hand-off has been opened" in none.stdout


def test_policy_history_names_the_version_a_handoff_opened_under(tmp_path, db_url):  # noqa: F811
    _seed(db_url)
    engine = make_engine(db_url)
    actor = Actor("THOME", "UCREATOR")
    with session_scope(make_session_factory(engine)) as s:
        for role, user in ((Role.DOMAIN_EXPERT, "UDOM"), (Role.ML_ARCHITECT, "UARCH")):
            roster.assign_role(s, actor, "churn-model", role, user, lead=True)
        handoffs.request_handoff(
            s, Actor("THOME", "UDS"), "churn-model", None, PACKET, DEFAULT_POLICY
        )
    engine.dispose()

    out = baton("policy", "history", db_url=db_url, cwd=tmp_path)

    digest = policy_hash(DEFAULT_POLICY)[:16]
    assert out.returncode == 0
    assert re.fullmatch(rf"THOME\t{digest}\tfirst used \S+Z\t4 transitions\n", out.stdout)


def test_audit_export_writes_the_dossier_as_html_and_markdown(tmp_path, db_url):  # noqa: F811
    _seed(db_url)

    html = baton(
        "audit",
        "export",
        "--project",
        "churn-model",
        "--format",
        "html",
        db_url=db_url,
        cwd=tmp_path,
    )
    md = baton(
        "audit", "export", "--project", "churn-model", "--format", "md", db_url=db_url, cwd=tmp_path
    )

    assert html.returncode == 0, html.stderr
    assert html.stdout.startswith("<!DOCTYPE html>") and "Audit chain verified" in html.stdout
    assert "UCREATOR added UDS to Data scientist" not in html.stdout  # lead: made, not added
    assert "UCREATOR made UDS Data scientist lead" in html.stdout
    assert md.stdout.startswith("# Evidence dossier: Churn, model (churn-model)")
    bad = baton(
        "audit",
        "export",
        "--project",
        "churn-model",
        "--format",
        "pdf",
        db_url=db_url,
        cwd=tmp_path,
    )
    assert bad.returncode == 2 and "'pdf' is not one of" in bad.stderr


def test_observations_prune_keeps_everything_by_default(tmp_path, db_url):  # noqa: F811
    _seed(db_url)

    out = baton("observations", "prune", db_url=db_url, cwd=tmp_path)
    pruned = baton("observations", "prune", "--days", "30", db_url=db_url, cwd=tmp_path)

    assert out.returncode == 0 and "nothing pruned" in out.stdout
    assert pruned.returncode == 0 and pruned.stdout.startswith("pruned 0 observation(s)")
