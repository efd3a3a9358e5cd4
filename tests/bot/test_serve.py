"""`baton serve` as production runs it: gunicorn, migrations at start, the scheduler in each
worker unless BATON_SCHEDULER=off, and Slack's signed requests answered through it all."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
import requests

from tests.fakeslack import FakeSlack
from tests.processes import await_http, free_port, stop
from tests.slackbot.harness import HOME, SECRET, SlackSigner

TOKEN = "xoxb-test-token"


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(token=TOKEN, team_id=HOME) as slack:
        yield slack


def _serve(tmp_path: Path, fake: FakeSlack, scheduler: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BATON_"))}
    env |= {
        "SLACK_BOT_TOKEN": TOKEN,
        "SLACK_SIGNING_SECRET": SECRET,
        "SLACK_API_URL": fake.base_url,
        "BATON_DATABASE_URL": f"sqlite:///{tmp_path}/baton.db",
        "BATON_HOST": "127.0.0.1",
        "BATON_PORT": str(port),
        "BATON_SCHEDULER": scheduler,
    }
    argv = [sys.executable, "-m", "bot.cli", "serve", "--workers", "1", "--threads", "2"]
    log = (tmp_path / "serve.log").open("wb")
    proc = subprocess.Popen(argv, env=env, cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT)
    return proc, f"http://127.0.0.1:{port}"


@pytest.mark.parametrize(
    ("scheduler", "said"),
    [("on", "scheduler started on"), ("off", "scheduler off (BATON_SCHEDULER=off)")],
)
def test_baton_serve_answers_signed_commands_through_gunicorn(tmp_path, fake, scheduler, said):
    proc, url = _serve(tmp_path, fake, scheduler)
    log = tmp_path / "serve.log"
    try:
        await_http(proc, f"{url}/readyz", log)
        body = urlencode(
            {
                **{"team_id": HOME, "user_id": "UDS", "channel_id": "C1", "command": "/mlops"},
                **{"text": "help", "trigger_id": "t1", "response_url": fake.response_url("t1")},
            }
        )
        headers = {"Content-Type": "application/x-www-form-urlencoded"}
        signed = requests.post(
            f"{url}/slack/events",
            data=body,
            headers={**headers, **SlackSigner(SECRET).headers(body)},
            timeout=10,
        )
        forged = requests.post(
            f"{url}/slack/events",
            data=body,
            headers={**headers, **SlackSigner("not-the-secret").headers(body)},
            timeout=10,
        )
    finally:
        stop(proc)
    assert signed.status_code == 200 and "Baton commands" in signed.json()["text"]
    assert "/mlops status &lt;key&gt;" in signed.text
    assert forged.status_code == 401
    assert said in log.read_text(errors="replace")
    assert [c.method for c in fake.calls][:1] == ["auth.test"]  # the workspace, learned at start
