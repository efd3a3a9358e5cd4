"""`baton audit verify|anchor` and `baton policy history`, run as an operator would."""

from __future__ import annotations

import re

from sqlalchemy import text

from bot.db import make_engine
from tests.bot.test_cli import _seed, baton, db_url  # noqa: F401  (db_url is the fixture)


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
