"""/readyz says "not ready" when the database cannot take writes: SQLite on a full disk or a
read-only file system (a real tmpfs, in a mount namespace of the test's own), a read-only
PostgreSQL; and it is ready again once writes can succeed."""

from __future__ import annotations

import errno
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from sqlalchemy import text

from bot.app import build_app
from bot.config import Settings
from bot.db import make_engine, make_session_factory
from bot.runtime import Runtime
from bot.slack import make_client
from bot.web import build_web
from models.policy import DEFAULT_POLICY
from tests.bot.served import Served
from tests.conftest import PG_URL
from tests.fakeslack import FakeSlack
from tests.slackbot.harness import HOME, Server

ROOT = os.geteuid() == 0


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(token="xoxb-ready-test", team_id=HOME) as slack:
        yield slack


@contextmanager
def small_disk(mount_point: Path, size: str = "8m") -> Iterator[list[str]]:
    """A tmpfs of `size` at `mount_point`, seen only inside a private mount namespace (held
    open by a sleeping process); yields the nsenter prefix that runs a command inside it."""
    mount_point.mkdir()
    unshare = ["unshare", "--mount", "--propagation", "private"]
    enter = ["nsenter", "--mount"]
    if not ROOT:  # an unprivileged user namespace maps us to root inside
        unshare.append("--map-root-user")
        enter += ["--user", "--preserve-credentials"]
    script = f'mount -t tmpfs -o size={size} tmpfs "$0" && echo mounted && exec sleep 900'
    holder = subprocess.Popen(
        [*unshare, "sh", "-c", script, str(mount_point)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "mounted"
        yield [*enter, f"--target={holder.pid}"]
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)


def _fill(path: Path) -> None:
    with path.open("wb") as filler:
        try:
            while True:
                filler.write(b"\0" * (1 << 16))
                filler.flush()
        except OSError as exc:
            assert exc.errno == errno.ENOSPC


def _ready(srv: Served) -> tuple[int, str]:
    response = requests.get(f"{srv.url}/readyz", timeout=10)
    return response.status_code, response.json().get("reason", "")


def test_readyz_reports_sqlite_on_a_full_disk_until_there_is_room_again(tmp_path, fake):
    disk = tmp_path / "disk"
    with small_disk(disk) as inside:
        srv = Served(f"sqlite:///{disk}/baton.db", fake, tmp_path / "serve.log", wrap=inside)
        with srv:
            assert _ready(srv) == (200, "")
            seen_from_here = Path(f"/proc/{srv.proc.pid}/root{disk}")  # type: ignore[union-attr]
            _fill(seen_from_here / "filler")
            full = _ready(srv)
            (seen_from_here / "filler").unlink()
            freed = _ready(srv)
    assert full[0] == 503 and "disk holding the database is full" in full[1], full
    assert freed == (200, ""), "ready again once there is room"


def test_a_sqlite_database_on_a_read_only_file_system_cannot_take_writes(tmp_path):
    """A file system remounted read-only (ext4's errors=remount-ro) under the database. The
    kernel refuses a tmpfs remount while a server holds the file open, so this asks the check
    itself, inside the namespace, with the database file in place."""
    disk = tmp_path / "disk"
    with small_disk(disk) as inside:
        subprocess.run([*inside, "touch", str(disk / "baton.db")], check=True)
        before = _problem_inside(inside, disk / "baton.db")
        subprocess.run([*inside, "mount", "-o", "remount,ro", str(disk)], check=True)
        after = _problem_inside(inside, disk / "baton.db")
    assert before == "None"
    assert after == "database is on a read-only file system"


def _problem_inside(inside: list[str], database: Path) -> str:
    check = "import sys; from bot.readiness import sqlite_file_problem as p; print(p(sys.argv[1]))"
    done = subprocess.run(
        [*inside, sys.executable, "-c", check, str(database)],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).parents[2],
    )
    return done.stdout.strip()


def test_readyz_reports_a_read_only_postgresql(pg, databases, fake):
    schema = databases["postgresql"][1]
    options = f"-csearch_path={schema} -cdefault_transaction_read_only=on"
    engine = make_engine(PG_URL, connect_args={"options": options})
    settings = Settings(slack_bot_token=fake.token, slack_api_url=fake.base_url, _env_file=None)
    rt = Runtime(
        settings, engine, make_session_factory(engine), DEFAULT_POLICY, make_client(settings)
    )
    try:
        with engine.connect() as conn:  # reads still work: only writes are refused
            assert conn.execute(text("SELECT count(*) FROM outbox")).scalar_one() == 0
        with Server(build_web(rt, build_app(rt))) as server:
            response = requests.get(f"{server.url}/readyz", timeout=10)
    finally:
        engine.dispose()
    assert response.status_code == 503
    assert response.json()["reason"] == "database is read-only (default_transaction_read_only)"
