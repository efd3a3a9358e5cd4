"""`make run` on a machine without Slack credentials: it says so first, then serves the
sandbox page with the demo seeded, exactly as a newcomer finds it."""

from __future__ import annotations

import os
import select
import subprocess
import time
from pathlib import Path

import pytest
import requests

from tests.processes import POLL_SECONDS, await_http, free_port, stop

ROOT = Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv"
READY_POLLS = 300  # x 0.1 s
SEEDED_CHANNELS = {"churn-model", "demand-forecast", "fraud-detection"}


def _first_line(proc: subprocess.Popen[str], timeout: float = 30) -> str:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    assert ready, "make run printed nothing"
    return proc.stdout.readline().rstrip("\n")


def test_make_run_without_a_token_starts_the_seeded_sandbox(tmp_path: Path) -> None:
    if not (VENV / "bin" / "baton").exists():
        pytest.fail(f"{VENV} has no baton: run the suite through `make test`", pytrace=False)
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BATON_", "MAKE"))}
    # From an empty folder (no .env there), with this checkout's Makefile and environment.
    argv = ["make", "--no-print-directory", "-f", str(ROOT / "Makefile"), "run"]
    argv += [f"VENV={VENV}", f"SANDBOX_PORT={port}"]
    proc = subprocess.Popen(
        argv,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # make and the sandbox under it stop together
    )
    try:
        first = _first_line(proc)
        page = await_http(proc, f"http://127.0.0.1:{port}/sandbox", None)
        seeded = _await_seed(f"http://127.0.0.1:{port}/sandbox/ui/state")
    finally:
        stop(proc, group=True)
    assert first == (
        f"No SLACK_BOT_TOKEN: starting the local sandbox at http://127.0.0.1:{port}/sandbox"
    )
    assert "Baton sandbox" in page
    assert seeded >= SEEDED_CHANNELS, seeded


def _await_seed(url: str) -> set[str]:
    """The page answers while the demo is still being seeded: wait for its channels."""
    names: set[str] = set()
    for _ in range(READY_POLLS):
        names = {c["name"] for c in requests.get(url, timeout=5).json()["channels"]}
        if names >= SEEDED_CHANNELS:
            break
        time.sleep(POLL_SECONDS)
    return names
