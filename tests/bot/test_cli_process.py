"""The installed `baton` script end to end, as an operator runs it on a fresh machine: a real
process (every other short command runs in-process, through tests/bot/cli.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

BATON = Path(sys.executable).parent / "baton"  # the console script `pip install` made


def run(*args: str, cwd: Path, db_url: str | None) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BATON_"))}
    if db_url is not None:
        env["BATON_DATABASE_URL"] = db_url
    return subprocess.run(
        [str(BATON), *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=60
    )


def test_the_installed_script_refuses_a_missing_database_then_upgrades_it(tmp_path):
    missing = run("project", "list", cwd=tmp_path, db_url=None)
    assert missing.returncode == 1
    assert missing.stderr == (
        "Error: no database at sqlite:///baton.db: set BATON_DATABASE_URL to Baton's database, "
        "or create it with `baton db upgrade`\n"
    )
    assert list(tmp_path.iterdir()) == []  # no stray baton.db

    url = f"sqlite:///{tmp_path}/baton.db"
    upgraded = run("db", "upgrade", cwd=tmp_path, db_url=url)
    assert (upgraded.returncode, upgraded.stdout) == (0, "database is at the latest schema\n")
    listed = run("project", "list", cwd=tmp_path, db_url=url)
    assert (listed.returncode, listed.stdout) == (0, "no projects\n")


def test_baton_gate_starts_without_the_orm_the_domain_or_slacks_sdk(tmp_path):
    """A CI job's `baton gate` imports click and requests, not the server's modules: each of
    those costs start-up time on every pipeline run (bot/cli.py imports them per command)."""
    probe = (
        "import sys\n"
        "from bot.cli import main\n"
        "try:\n"
        "    main(['gate', '--help'], standalone_mode=False)\n"
        "finally:\n"
        "    heavy = ('sqlalchemy', 'alembic', 'models', 'slack_sdk', 'slack_bolt', 'flask')\n"
        "    print(sorted({m.split('.')[0] for m in sys.modules} & set(heavy)))\n"
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BATON_"))}
    ran = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, env=env, cwd=tmp_path
    )
    assert ran.returncode == 0, ran.stderr
    assert "--requester TEXT" in ran.stdout  # the gate's own help: the command was loaded
    assert ran.stdout.splitlines()[-1] == "[]"
