"""A separate process writing audit events through the service: `python -m tests.models.audit_writer
URL SCHEMA TEAM COUNT GO_FILE`. It starts writing once GO_FILE exists, so two of them overlap."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bot.db import make_engine, make_session_factory, session_scope
from models.schemas.base import Actor
from models.services import audit

GO_WAIT_SECONDS = 30.0


def main(url: str, schema: str, team: str, count: int, go_file: str) -> None:
    kwargs = {"connect_args": {"options": f"-csearch_path={schema}"}} if schema else {}
    engine = make_engine(url, **kwargs)
    factory = make_session_factory(engine)
    with engine.connect() as conn:  # connected before the start, so both begin at once
        conn.exec_driver_sql("SELECT 1")
    Path(f"{go_file}.ready-{sys.argv[-1]}").touch()  # the test starts both once both are here
    deadline = time.monotonic() + GO_WAIT_SECONDS
    while not Path(go_file).exists():  # a start line for both writers, bounded
        if time.monotonic() > deadline:
            sys.exit("the go file never appeared")
        time.sleep(0.005)
    me = f"UPROC{Path(go_file).name[-1]}{count}"
    for i in range(count):
        with session_scope(factory) as s:
            audit.record(s, Actor(team, me), "workspace.note", n=i, writer=sys.argv[-1])
    engine.dispose()


if __name__ == "__main__":
    url, schema, team, count, go_file = sys.argv[1:6]
    main(url, schema, team, int(count), go_file)
