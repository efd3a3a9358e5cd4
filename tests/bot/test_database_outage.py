"""PostgreSQL gone under a running `baton serve`, then back: users are told to try again at
once, the API and readiness answer 503, and the first request after the database returns works.
The outage is a loopback proxy cut in front of PostgreSQL; the shared server keeps running."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
import requests

from bot.db import make_engine, make_session_factory, session_scope
from models.services import tokens
from tests.bot.served import KEY, REQUESTER, Served, database
from tests.conftest import PG_URL
from tests.fakeslack import FakeSlack
from tests.slackbot.harness import HOME, BotClient
from tests.tcpproxy import TcpProxy

OUTAGE = "cannot reach its database"
FAST_SECONDS = 2.0  # "try again" must not wait out connection timeouts


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(token="xoxb-outage-test", team_id=HOME) as slack:
        yield slack


@pytest.fixture
def proxy() -> Iterator[TcpProxy]:
    host, port = PG_URL.rsplit("@", 1)[1].split("/", 1)[0].split(":")
    tunnel = TcpProxy((host, int(port)))
    yield tunnel
    tunnel.close()


def _timed(call):  # type: ignore[no-untyped-def]
    start = time.monotonic()
    result = call()
    return result, time.monotonic() - start


def _api_token(db_url: str) -> str:
    engine = make_engine(db_url)
    with session_scope(make_session_factory(engine)) as s:
        plaintext, _ = tokens.create_token(s, HOME, "outage-test")
    engine.dispose()
    return plaintext


def test_a_postgresql_outage_is_answered_at_once_and_the_first_request_after_it_works(
    tmp_path, fake, proxy
):
    with (
        database("postgresql", tmp_path, pg_port=proxy.port) as db_url,
        Served(db_url, fake, tmp_path / "serve.log") as srv,
    ):
        bot = BotClient(baton=None, fake=fake, url=srv.url)  # type: ignore[arg-type]
        token = _api_token(db_url)
        audit = f"{srv.url}/api/v1/projects/{KEY}/audit"
        auth = {"Authorization": f"Bearer {token}"}
        assert OUTAGE not in bot.reply(f"status {KEY}", user=REQUESTER)["text"]  # a warm process
        assert requests.get(audit, headers=auth, timeout=10).status_code == 200

        proxy.cut()
        read, read_seconds = _timed(lambda: bot.reply(f"status {KEY}", user=REQUESTER))
        write, write_seconds = _timed(
            lambda: bot.reply(f"role assign {KEY} analyst <@UNEWBIE>", user="UCREATOR")
        )
        api, api_seconds = _timed(lambda: requests.get(audit, headers=auth, timeout=10))
        ready_down = requests.get(f"{srv.url}/readyz", timeout=10)

        proxy.restore()
        restored_at = time.monotonic()
        ready_up = requests.get(f"{srv.url}/readyz", timeout=10)
        after = bot.reply(f"status {KEY}", user=REQUESTER)
        recovered = time.monotonic() - restored_at
        api_after = requests.get(audit, headers=auth, timeout=10)
        roster = bot.reply(f"roles {KEY}", user=REQUESTER)
        bot.reply(f"role assign {KEY} analyst <@UNEWBIE>", user="UCREATOR")
        roster_now = bot.reply(f"roles {KEY}", user=REQUESTER)
        print(
            f"\noutage: read {read_seconds * 1000:.0f} ms, write {write_seconds * 1000:.0f} ms,"
            f" API {api_seconds * 1000:.0f} ms; after restore, answered in {recovered:.2f}s"
        )

    assert OUTAGE in read["text"] and OUTAGE in write["text"]
    assert max(read_seconds, write_seconds, api_seconds) < FAST_SECONDS
    assert (api.status_code, api.json()["error"]) == (503, "database unavailable, try again")
    assert ready_down.status_code == 503
    assert ready_up.status_code == 200, "readiness recovers on the first probe"
    assert OUTAGE not in after["text"], "the first request after the outage works"
    assert api_after.status_code == 200
    assert "UNEWBIE" not in str(roster), "the write refused during the outage changed nothing"
    assert "UNEWBIE" in str(roster_now)
