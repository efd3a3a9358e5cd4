"""`baton gate` as a CI job runs it: a real subprocess against Baton under real gunicorn, the
leads deciding in the (fake) Slack, exit codes as the pipeline reads them, and a Baton that is
killed and restarted while the gate waits."""

from __future__ import annotations

import itertools
import json
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.db import make_engine, make_session_factory, migrate, session_scope
from models.enums import Role
from models.schemas.base import Actor
from models.services import projects, roster, tokens
from models.workspace import Workspace
from tests.bot.served import Served
from tests.fakeslack import FakeSlack
from tests.processes import free_port
from tests.slackbot.conftest import LEADS, Seeded
from tests.slackbot.flow import PACKETS, click_for_modal
from tests.slackbot.harness import HOME, BotClient

TOKEN = "xoxb-test-token"
SEED = Seeded()
_keys = itertools.count(1)


def _seed_project(db_url: str, key: str, channel: str) -> None:
    """`key` in manage with every lead (and an intern), as SEED's people."""
    engine = make_engine(db_url)
    creator = Actor(HOME, SEED.creator)
    with session_scope(make_session_factory(engine)) as s:
        projects.create_project(s, creator, key, "Churn model", channel)
        for role, person in LEADS.items():
            roster.assign_role(s, creator, key, role, getattr(SEED, person), lead=True)
        roster.assign_role(s, creator, key, Role.DATA_ANALYST, SEED.intern)
    engine.dispose()


def _install(tmp_path: Path) -> str:
    """A migrated database with the workspace installed; an API token for it."""
    engine = make_engine(f"sqlite:///{tmp_path}/baton.db")
    migrate(engine)
    with session_scope(make_session_factory(engine)) as s:
        s.add(Workspace(team_id=HOME, name="home"))
        plaintext, _ = tokens.create_token(s, HOME, "ci")
    engine.dispose()
    return plaintext


class Baton(Served):
    """`baton serve` (gunicorn) on a fixed port, so it can be killed and started again."""

    def __init__(self, tmp_path: Path, fake: FakeSlack, token: str) -> None:
        db_url, log = f"sqlite:///{tmp_path}/baton.db", tmp_path / "serve.log"
        super().__init__(db_url, fake, log, port=free_port(), ready="/readyz")
        self.tmp, self.token = tmp_path, token

    def kill(self) -> None:
        """A crash: the whole process group, at once, with the gate's request in flight."""
        self.kill9()


@pytest.fixture(scope="module")
def shared(tmp_path_factory) -> Iterator[Baton]:
    """One server for the tests that leave it running; each gets a project of its own."""
    tmp = tmp_path_factory.mktemp("gate")
    with FakeSlack(token=TOKEN, team_id=HOME) as fake:
        server = Baton(tmp, fake, _install(tmp))
        server.start()
        yield server
        server.stop()


@pytest.fixture
def baton(shared) -> Baton:
    """The shared server, with a fresh project (every lead, nothing requested) as `key`."""
    n = next(_keys)
    shared.key = f"gate-{n}"
    _seed_project(shared.db_url, shared.key, f"CGATE{n}")
    return shared


@pytest.fixture
def own_baton(tmp_path) -> Iterator[Baton]:
    """A server of this test's own, for a test that kills it."""
    with FakeSlack(token=TOKEN, team_id=HOME) as fake:
        server = Baton(tmp_path, fake, _install(tmp_path))
        server.key = SEED.key
        _seed_project(server.db_url, SEED.key, SEED.channel)
        server.start()
        yield server
        server.stop()


class Gate:
    """`baton gate` in its own process; its output lines are awaited, never slept for."""

    def __init__(self, baton: Baton, *extra: str, token: str | None = None) -> None:
        packet = baton.tmp / "packet.json"
        packet.write_text(json.dumps(PACKETS["develop"]), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BATON_"))}
        env["BATON_API_TOKEN"] = baton.token if token is None else token
        argv = [
            sys.executable, "-m", "bot.cli", "gate", "--url", baton.url,
            "--project", baton.key, "--to", "develop", "--packet", str(packet),
            "--requester", SEED.ds, *extra,
        ]  # fmt: skip
        self.proc = subprocess.Popen(
            argv, env=env, cwd=baton.tmp, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        self.lines: list[str] = []
        self._cond = threading.Condition()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()

    def await_line(self, pattern: str, timeout: float = 20) -> str:
        def found() -> str | None:
            return next((x for x in self.lines if re.search(pattern, x)), None)

        with self._cond:
            line = self._cond.wait_for(found, timeout)
        assert line, f"no line matching {pattern!r} in:\n" + "\n".join(self.lines)
        return line

    def handoff_id(self) -> int:
        line = self.await_line(r"hand-off #\d+ requested")
        return int(re.search(r"#(\d+)", line).group(1))  # type: ignore[union-attr]

    def exit_code(self, timeout: float = 30) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()

    def output(self) -> str:
        with self._cond:
            return "\n".join(self.lines)


def _slack(baton: Baton) -> BotClient:
    return BotClient(baton=None, fake=baton.fake, url=baton.url)  # type: ignore[arg-type]


def _approve(baton: Baton, handoff_id: int, user: str) -> None:
    assert _slack(baton).click("handoff.approve", str(handoff_id), user=user).status_code == 200


def test_the_gate_exits_0_after_both_leads_approve_in_slack(baton):
    gate = Gate(baton)
    handoff_id = gate.handoff_id()
    gate.await_line(r"waiting on: Domain expert.*\(UDOMAIN\).*ML architect \(UARCH\)")
    _approve(baton, handoff_id, SEED.domain)
    gate.await_line(r"Domain expert.*: approved by UDOMAIN")
    gate.await_line(r"waiting on: ML architect \(UARCH\)$")
    assert gate.proc.poll() is None, "one approval of two does not open the gate"
    _approve(baton, handoff_id, SEED.architect)
    assert gate.exit_code() == 0, gate.output()
    assert gate.output().splitlines()[-1] == f"baton gate: hand-off #{handoff_id} approved"


def test_the_gate_exits_1_after_a_reject_with_the_reason(baton):
    gate = Gate(baton)
    handoff_id = gate.handoff_id()
    gate.await_line("waiting on:")
    slack = _slack(baton)
    modal = click_for_modal(slack, "handoff.reject", handoff_id, SEED.domain)
    slack.submit(modal, {"reason": "No business case"}, user=SEED.domain)
    assert gate.exit_code() == 1, gate.output()
    assert "rejected by UDOMAIN: No business case" in gate.output()


def test_the_gate_exits_4_when_nobody_decides_in_time(baton):
    started = time.monotonic()
    gate = Gate(baton, "--timeout", "2s")
    handoff_id = gate.handoff_id()
    assert gate.exit_code() == 4, gate.output()
    assert 2 <= time.monotonic() - started < 20
    assert f"timed out: hand-off #{handoff_id} is still pending" in gate.output()


def test_a_second_gate_joins_the_open_handoff(baton):
    first = Gate(baton)
    handoff_id = first.handoff_id()
    second = Gate(baton)
    second.await_line(rf"joining the open hand-off #{handoff_id}: manage → develop")
    _approve(baton, handoff_id, SEED.domain)
    _approve(baton, handoff_id, SEED.architect)
    assert (first.exit_code(), second.exit_code()) == (0, 0)


def test_the_gate_resumes_its_wait_across_a_baton_crash_and_restart(own_baton):
    baton = own_baton
    gate = Gate(baton)
    handoff_id = gate.handoff_id()
    gate.await_line("waiting on:")
    _approve(baton, handoff_id, SEED.domain)
    gate.await_line(r"waiting on: ML architect")
    baton.kill()  # mid-wait: the long poll's connection drops
    gate.await_line(r"Baton unreachable .*retrying")
    assert gate.proc.poll() is None
    baton.start()
    _approve(baton, handoff_id, SEED.architect)
    assert gate.exit_code() == 0, gate.output()
    assert gate.output().count("Domain expert / business translator: approved") == 1


def test_a_refused_request_or_missing_token_exits_5_with_the_reason(baton):
    (baton.tmp / "bad.json").write_text(json.dumps({"objective": "x"}), encoding="utf-8")
    gate = Gate(baton, "--packet", str(baton.tmp / "bad.json"))
    assert gate.exit_code() == 5
    assert "packet.success_metric: Success metric is required" in gate.output()
    assert "Traceback" not in gate.output()
    no_token = Gate(baton, token="")
    assert no_token.exit_code() == 5
    assert "BATON_API_TOKEN is not set" in no_token.output()
    unknown = Gate(baton, "--timeout", "soon", token="baton_" + "x" * 43)
    assert unknown.exit_code() == 5 and "not a duration" in unknown.output()
