"""`baton` commands run in this process through click's CliRunner, with only the variables a
test gives them: measured by coverage, and far faster than a process each. The long-running
commands and one end-to-end run of the installed script keep real processes
(tests/bot/test_cli_process.py, test_serve.py, test_socket.py, the worker test)."""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass
from pathlib import Path

from click.testing import CliRunner

from bot.cli import main


@dataclass(frozen=True)
class Ran:
    returncode: int
    stdout: str
    stderr: str


def baton(*args: str, db_url: str | None, cwd: Path, env: dict[str, str] | None = None) -> Ran:
    """`baton ARGS` in `cwd` (where a .env would be read), on `db_url` (None: unset)."""
    scrubbed: dict[str, str | None] = {
        k: None for k in os.environ if k.startswith(("SLACK_", "BATON_"))
    }
    scrubbed["BATON_DATABASE_URL"] = db_url
    with contextlib.chdir(cwd):
        result = CliRunner().invoke(main, list(args), env=scrubbed | (env or {}), prog_name="baton")
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback the operator would have seen: a bug
    return Ran(result.exit_code, result.stdout, result.stderr)
