"""A real `baton serve` (gunicorn) against the fake Slack, for crash and outage tests: a seeded
database, signed requests, kill -9 of the whole server or of its worker, and its log."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from sqlalchemy import Engine, text

from bot.db import make_engine, make_session_factory, migrate, session_scope
from models.enums import Role
from models.schemas.base import Actor
from models.services import projects, roster
from tests.conftest import PG_URL
from tests.fakeslack import FakeSlack
from tests.processes import await_http, free_port, stop
from tests.slackbot.harness import HOME, SECRET

KEY, CHANNEL, CREATOR, REQUESTER = "churn-model", "CCHURN", "UCREATOR", "UDS"
LEADS = {
    Role.DATA_SCIENTIST: REQUESTER,
    Role.DATA_ENGINEER: "UDE",
    Role.DOMAIN_EXPERT: "UDOMAIN",
    Role.ML_ARCHITECT: "UARCH",
    Role.SOFTWARE_DEVELOPER: "USWE",
    Role.DEVOPS_ENGINEER: "UOPS",
}


@contextmanager
def database(backend: str, tmp_path: Path, *, pg_port: int = 5432) -> Iterator[str]:
    """A migrated, seeded database (churn-model with a lead per role); yields the server's URL.
    PostgreSQL gets a schema of its own, reached through `pg_port` (a proxy, in outage tests)."""
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path}/baton.db"
        _seed(make_engine(url))
        yield url
        return
    schema = f"baton_crash_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    base = PG_URL.replace("127.0.0.1:5432", f"127.0.0.1:{pg_port}")
    try:
        _seed(make_engine(PG_URL, connect_args={"options": f"-csearch_path={schema}"}))
        yield f"{base}?options={quote(f'-csearch_path={schema}')}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def _seed(engine: Engine) -> None:
    migrate(engine)
    creator = Actor(HOME, CREATOR)
    with session_scope(make_session_factory(engine)) as s:
        projects.create_project(s, creator, KEY, "Churn model", CHANNEL)
        for role, person in LEADS.items():
            roster.assign_role(s, creator, KEY, role, person, lead=True)
    engine.dispose()


@dataclass
class Served:
    """`baton serve` in its own process group, logging to `log`."""

    db_url: str
    fake: FakeSlack
    log: Path
    env: dict[str, str] = field(default_factory=dict)
    wrap: list[str] = field(default_factory=list)  # e.g. nsenter into a mount namespace
    port: int = 0  # 0: a free port at each start; fixed, a restart keeps the URL
    ready: str = "/healthz"  # the path that answers 200 once the server is up
    proc: subprocess.Popen[bytes] | None = None
    url: str = ""

    def start(self) -> Served:
        port = self.port or free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BATON_"))}
        env |= {
            "SLACK_BOT_TOKEN": self.fake.token,
            "SLACK_SIGNING_SECRET": SECRET,
            "SLACK_API_URL": self.fake.base_url,
            "BATON_DATABASE_URL": self.db_url,
            "BATON_HOST": "127.0.0.1",
            "BATON_PORT": str(port),
            "BATON_SCHEDULER": "off",
            **self.env,
        }
        argv = [*self.wrap, sys.executable, "-m", "bot.cli", "serve", "--workers", "1"]
        argv += ["--threads", "4"]
        out = self.log.open("ab")
        self.proc = subprocess.Popen(
            argv,
            env=env,
            cwd=self.log.parent,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # kill -9 of the group is the whole server at once
        )
        self.url = f"http://127.0.0.1:{port}"
        await_http(self.proc, f"{self.url}{self.ready}", self.log)
        return self

    def worker_pid(self) -> int:
        assert self.proc is not None
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text()
        [pid] = children.split()
        return int(pid)

    def kill9(self) -> None:
        """The server dies at once (an OOM kill, a lost machine): master and worker together."""
        assert self.proc is not None
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=10)

    def stop(self) -> None:
        if self.proc is not None:
            stop(self.proc, group=True)

    def output(self) -> str:
        return self.log.read_text(errors="replace")

    def __enter__(self) -> Served:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
