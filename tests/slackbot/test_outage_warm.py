"""The database going away under a warm process: every kind of listener answers "try again"
(the API 503) and nothing is half-written.

Warm means the process has answered a request already, so the workspace guard knows the
workspace and lets the request through to the listener, whose own outage path must answer.
The database really goes away: PostgreSQL behind a loopback TCP proxy that the test cuts (the
server itself keeps running for everyone else); SQLite's file replaced by a directory, so no
connection can open it. Assertions are on what the user sees (text, ephemeral, status).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url

from bot.db import make_engine
from tests.conftest import Database
from tests.slackbot.api_client import Api, make_token
from tests.slackbot.conftest import MLFLOW_SECRET, served_bot
from tests.slackbot.flow import PACKETS, last_modal, request_handoff, text_of, wait_for_modal
from tests.slackbot.harness import BotClient
from tests.slackbot.test_mlflow import created, send

TRY_AGAIN = "cannot reach its database right now"


class TcpProxy:
    """127.0.0.1:<port> -> PostgreSQL; cut() drops every connection and refuses new ones."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self._upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self._open: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._cut = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return  # closed
            if self._cut:
                client.close()
                continue
            upstream = socket.create_connection(self._upstream)
            with self._lock:
                self._open |= {client, upstream}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket) -> None:
        with suppress(OSError):
            while data := source.recv(65536):
                sink.sendall(data)
        for s in (source, sink):
            with suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def cut(self) -> None:
        self._cut = True
        with self._lock:
            for s in self._open:
                with suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
            self._open.clear()

    def restore(self) -> None:
        self._cut = False

    def close(self) -> None:
        self.cut()
        self._listener.close()


class Outage:
    """The bot's own engine on the test database, and a switch that takes it away."""

    def __init__(self, db: Database, tmp_path: Path) -> None:
        self._db = db
        self._proxy: TcpProxy | None = None
        if db.backend == "postgresql":
            url = make_url(db.url)
            self._proxy = TcpProxy((url.host or "127.0.0.1", url.port or 5432))
            with db.engine.connect() as conn:
                schema = conn.scalar(text("SELECT current_schema()"))
            self.engine: Engine = make_engine(
                url.set(host="127.0.0.1", port=self._proxy.port).render_as_string(False),
                connect_args={"options": f"-csearch_path={schema}"},
            )
        else:
            self.engine = make_engine(db.url)
            self._file = Path(make_url(db.url).database or "")
            self._away = tmp_path / "away"
            self._away.mkdir()

    def cut(self) -> None:
        if self._proxy is not None:
            self._proxy.cut()
            return
        self.engine.dispose()  # the process's connections die with the database
        for name in (self._file.name, f"{self._file.name}-wal", f"{self._file.name}-shm"):
            with suppress(FileNotFoundError):
                os.rename(self._file.parent / name, self._away / name)
        self._file.mkdir()  # a path SQLite cannot open as a database

    def restore(self) -> None:
        if self._proxy is not None:
            self._proxy.restore()
            return
        self._file.rmdir()
        for moved in self._away.iterdir():
            os.rename(moved, self._file.parent / moved.name)
        self.engine.dispose()

    def close(self) -> None:
        self.engine.dispose()
        if self._proxy is not None:
            self._proxy.close()


@pytest.fixture
def outage(db: Database, tmp_path: Path) -> Iterator[Outage]:
    switch = Outage(db, tmp_path)
    yield switch
    switch.close()


@pytest.fixture
def warm(db, slack, outage: Outage, seeded) -> Iterator[BotClient]:
    """A bot on the switchable engine that has already answered a command."""
    with served_bot(db, slack, outage.engine) as bot:
        assert "Stage *manage*" in text_of(bot.reply(f"status {seeded.key}", user=seeded.ds))
        yield bot


def during_outage(outage: Outage, db: Database, act: Any) -> Any:
    """Run `act` with the database gone; afterwards nothing may have changed."""
    before = db.dump()
    outage.cut()
    try:
        result = act()
    finally:
        outage.restore()
    assert db.dump() == before  # nothing half-written, nothing lost
    return result


def test_a_command_in_a_warm_process_answers_try_again(warm, outage, db, seeded, caplog):
    with caplog.at_level(logging.ERROR):
        reply = during_outage(
            outage, db, lambda: warm.reply("project create fraud-model", user=seeded.ds)
        )
    assert reply["response_type"] == "ephemeral" and TRY_AGAIN in text_of(reply)
    assert any("database unavailable" in r.getMessage() for r in caplog.records)
    created = warm.reply("project create fraud-model", user=seeded.ds)  # the retry works
    assert "fraud-model" in text_of(created) and TRY_AGAIN not in text_of(created)


def test_a_button_in_a_warm_process_answers_try_again(warm, slack, outage, db, seeded):
    request_handoff(warm, seeded.ds, seeded.key, PACKETS["develop"])
    handoff_id = handoff_of(db)
    answered = len(slack.responses())

    response = during_outage(
        outage, db, lambda: warm.click("handoff.approve", str(handoff_id), user=seeded.domain)
    )

    assert response.status_code == 200
    answer = slack.wait_for(lambda: slack.responses()[answered:])[-1]
    assert answer["response_type"] == "ephemeral" and TRY_AGAIN in answer["text"]


def test_an_app_home_button_in_a_warm_process_answers_try_again(warm, slack, outage, db, seeded):
    request_handoff(warm, seeded.ds, seeded.key, PACKETS["develop"])
    handoff_id = handoff_of(db)
    sent = len(slack.messages(seeded.domain))
    opened = len(slack.calls_to("views.open"))

    response = during_outage(
        outage,
        db,
        lambda: warm.click("handoff.approve", str(handoff_id), user=seeded.domain, home=True),
    )

    assert response.status_code == 200
    # App Home has no conversation to answer in: the answer is shown on screen, not as a DM.
    notice = wait_for_modal(warm, opened)
    assert notice["callback_id"] == "baton.notice" and TRY_AGAIN in text_of(notice)
    assert len(slack.messages(seeded.domain)) == sent


def test_a_modal_in_a_warm_process_answers_try_again(warm, outage, db, seeded):
    opened = len(warm.fake.calls_to("views.open"))
    warm.reply(f"handoff {seeded.key}", user=seeded.ds)
    form = wait_for_modal(warm, opened)

    response = during_outage(
        outage, db, lambda: warm.submit(form, PACKETS["develop"], user=seeded.ds)
    )

    assert response.status_code == 200
    answer = response.json()
    assert answer["response_action"] == "errors"
    assert [TRY_AGAIN in e for e in answer["errors"].values()] == [True]
    retried = warm.submit(last_modal(warm), PACKETS["develop"], user=seeded.ds)  # works now
    assert retried.status_code == 200 and retried.text == ""
    assert handoff_of(db) > 0


def test_an_event_in_a_warm_process_is_deferred_to_slack_retry_and_not_lost(
    warm, slack, outage, db, seeded, caplog
):
    published = len(slack.calls_to("views.publish"))
    event = {"type": "app_home_opened", "user": seeded.ds, "tab": "home"}

    with caplog.at_level(logging.ERROR):
        response = during_outage(outage, db, lambda: warm.event(event, event_id="EvOUT1"))

    # Events have no user to answer: a 503 (not a 500 from a crashed middleware) makes Slack
    # deliver the event again, and nothing broken is shown meanwhile.
    assert response.status_code == 503
    assert len(slack.calls_to("views.publish")) == published
    assert any("database unavailable" in r.getMessage() for r in caplog.records)
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"}
    assert warm.event(event, event_id="EvOUT1", headers=retry).status_code == 200
    (home,) = slack.wait_for(lambda: slack.calls_to("views.publish")[published:])
    assert home.params["user_id"] == seeded.ds


def test_the_api_in_a_warm_process_answers_503(warm, outage, db, seeded):
    api = Api(warm.url, make_token(db))
    assert api.get(f"/api/v1/projects/{seeded.key}/audit").status_code == 200  # warm

    def calls() -> list[Any]:
        return [
            api.get(f"/api/v1/projects/{seeded.key}/audit"),
            api.post("/api/v1/metrics", {"project": seeded.key, "metric": "auc", "value": 0.9}),
        ]

    for response in during_outage(outage, db, calls):
        assert response.status_code == 503
        assert response.json() == {"error": "database unavailable, try again"}


def handoff_of(db: Database) -> int:
    with db.engine.connect() as conn:
        return int(conn.scalar(text("SELECT max(id) FROM handoffs")) or 0)


def test_an_mlflow_webhook_in_a_warm_process_is_asked_to_come_again(db, slack, outage, seeded):
    """MLflow retries a 503 and honours its Retry-After: the delivery is not lost."""
    secret = SecretStr(MLFLOW_SECRET)
    with served_bot(db, slack, outage.engine, mlflow_webhook_secret=secret) as bot:
        assert send(bot, created()).status_code == 200  # warm: a receipt was written
        delivery = created("4")
        response = during_outage(outage, db, lambda: send(bot, delivery))
        assert response.status_code == 503 and response.headers["Retry-After"] == "2"
        assert response.json() == {"error": "database unavailable, try again"}
        assert send(bot, delivery).status_code == 200  # MLflow's retry, once it is back
