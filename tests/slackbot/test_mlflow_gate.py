"""After sign-off Baton sets MLflow's production alias through the outbox: an MLflow that is
down is told in the channel and retried until it answers; one that refuses is given up on.

MLflow here is a loopback stand-in for its REST API (the real server's round trip is in
test_mlflow_server.py): it records each request and answers as told.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from pydantic import SecretStr
from sqlalchemy import select, update

from models.base import utcnow
from models.enums import OutboxStatus
from models.gates import MlflowPromotion
from models.outbox import OutboxMessage
from tests.processes import free_port
from tests.serving import stop_serving
from tests.slackbot.flow import text_of
from tests.slackbot.test_mlflow import MODEL, approved_version

TOKEN = "mlflow-s3cret-token"


class StubMlflow(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self.server_port}"
        self.received: list[tuple[str, dict[str, Any], str]] = []
        self.answer: tuple[int, dict[str, Any]] = (200, {})


class _Handler(BaseHTTPRequestHandler):
    server: StubMlflow

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.received.append((self.path, body, self.headers.get("Authorization", "")))
        status, answer = self.server.answer
        raw = json.dumps(answer).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def mlflow() -> Iterator[StubMlflow]:
    stub = StubMlflow()
    thread = threading.Thread(target=stub.serve_forever)
    thread.start()
    yield stub
    stop_serving(stub)
    thread.join(timeout=5)
    stub.server_close()


@pytest.fixture
def linked(hooked, seeded):
    hooked.reply(f"project link-model {seeded.key} {MODEL}", user=seeded.creator)
    return seeded


def _tracking(bot, uri: str | None) -> None:
    rt = bot.baton.rt
    token = SecretStr(TOKEN)
    rt.settings = rt.settings.model_copy(
        update={"mlflow_tracking_uri": uri, "mlflow_tracking_token": token}
    )


def _promotion_row(db) -> OutboxMessage:
    with db.session() as s:
        return s.scalars(select(OutboxMessage).where(OutboxMessage.sink == "mlflow")).one()


def _due_now(db, row_id: int) -> None:
    """The backoff has passed (what the deliverer's clock would see a few seconds later)."""
    with db.session() as s:
        s.execute(
            update(OutboxMessage).where(OutboxMessage.id == row_id).values(next_attempt_at=utcnow())
        )


def _channel_texts(slack, channel: str) -> list[str]:
    return [text_of(m) for m in slack.messages(channel)]


def test_an_unreachable_mlflow_is_told_in_the_channel_and_retried_until_it_answers(
    hooked, slack, linked, db, mlflow, caplog
):
    handoff_id = approved_version(hooked, linked, db)
    _tracking(hooked, f"http://127.0.0.1:{free_port()}")  # nothing listens there
    with caplog.at_level(logging.DEBUG):
        hooked.deliver()
    row = _promotion_row(db)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 1)
    assert "is unreachable" in (row.last_error or "")
    failed = [t for t in _channel_texts(slack, linked.channel) if "could not set" in t]
    assert len(failed) == 1 and "Baton keeps trying" in failed[0]

    _tracking(hooked, mlflow.url)  # MLflow is back
    _due_now(db, row.id)
    with caplog.at_level(logging.DEBUG):
        hooked.deliver()
    assert _promotion_row(db).status == OutboxStatus.SENT
    paths = [path for path, _body, _auth in mlflow.received]
    assert paths == ["/api/2.0/mlflow/model-versions/set-tag"] * 3 + [
        "/api/2.0/mlflow/registered-models/alias"
    ]
    assert mlflow.received[-1][1] == {"name": MODEL, "alias": "champion", "version": "3"}
    tags = {body["key"]: body["value"] for path, body, _ in mlflow.received if "set-tag" in path}
    assert tags["baton.handoff_id"] == str(handoff_id)
    assert tags["baton.approved_by"] == f"{linked.architect},{linked.domain}"
    assert {auth for _p, _b, auth in mlflow.received} == {f"Bearer {TOKEN}"}
    said = _channel_texts(slack, linked.channel)
    assert sum("could not set" in t for t in said) == 1  # the retry did not repeat the notice
    assert any("version `3` is now `champion`" in t for t in said)
    with db.session() as s:
        promotion = s.scalars(select(MlflowPromotion)).one()
        assert promotion.promoted_at is not None and promotion.last_error is None
    assert TOKEN not in caplog.text and not any(TOKEN in t for t in said)


def test_mlflow_refusing_the_call_gives_up_and_says_so(hooked, slack, linked, db, mlflow):
    approved_version(hooked, linked, db)
    _tracking(hooked, mlflow.url)
    mlflow.answer = (404, {"error_code": "RESOURCE_DOES_NOT_EXIST", "message": "no version 3"})
    hooked.deliver()
    row = _promotion_row(db)
    assert row.status == OutboxStatus.FAILED
    assert "RESOURCE_DOES_NOT_EXIST" in (row.last_error or "")
    failed = [t for t in _channel_texts(slack, linked.channel) if "could not set" in t]
    assert len(failed) == 1 and "Baton gave up" in failed[0] and "no version 3" in failed[0]
    with db.session() as s:
        assert s.scalars(select(MlflowPromotion)).one().promoted_at is None


def test_without_a_tracking_uri_the_channel_learns_which_setting_is_missing(
    hooked, slack, linked, db
):
    approved_version(hooked, linked, db)
    _tracking(hooked, None)
    hooked.deliver()
    assert _promotion_row(db).status == OutboxStatus.FAILED
    said = " ".join(_channel_texts(slack, linked.channel))
    assert "MLFLOW_TRACKING_URI is not set" in said
