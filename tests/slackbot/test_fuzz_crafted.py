"""The crafted malformed requests of issue 16 §2 (the table in tests/slackbot/malformed.py), on
every way in: never a 5xx, never a changed row, never an error in the log, answered in time.

Every case of a backend goes to one served Baton, as a running Baton meets them one after
another: each is refused and changes nothing, so each starts from the seeded rows (checked
before and after it). A Baton, a seed and a token per case were two thirds of the time."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import Executor, Future, wait
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import SecretStr

from tests.conftest import BACKENDS, Database, _database
from tests.fakeslack import FakeSlack
from tests.slackbot.api_client import make_token
from tests.slackbot.conftest import (
    MLFLOW_SECRET,
    TOKEN,
    block_kit_violations,
    seed_churn_model,
    served_bot,
)
from tests.slackbot.harness import HOME, BotClient
from tests.slackbot.malformed import CASES, Case, Probe


class _Settling(Executor):
    """Bolt's listener executor, able to wait for everything submitted so far (listeners that
    submit more work included), so a case ends only after every listener it started."""

    def __init__(self, inner: Executor) -> None:
        self._inner = inner
        self._pending: list[Future[Any]] = []
        self._lock = threading.Lock()  # a listener may submit while settle() takes the list

    def submit(self, fn: Any, /, *args: Any, **kwargs: Any) -> Future[Any]:
        future = self._inner.submit(fn, *args, **kwargs)
        with self._lock:
            self._pending.append(future)
        return future

    def settle(self) -> None:
        while True:
            with self._lock:
                pending, self._pending = self._pending, []
            if not pending:
                return
            wait(pending)


@dataclass
class Served:
    bot: BotClient
    db: Database
    probe: Probe
    rows: dict[str, str]  # the seeded rows, as every case must find and leave them
    listeners: _Settling


def rows_but_token_use(db: Database) -> dict[str, str]:
    """Every row, but an API token's last use (a call with it is a use, even a refused one),
    as one statement's text per table (Database.fingerprint): read before and after each of
    hundreds of cases and generated examples, a full dump() per table cost about a minute."""
    return db.fingerprint(without=("api_tokens",))


@pytest.fixture(scope="module", params=BACKENDS)
def served(
    request: pytest.FixtureRequest,
    databases: dict[str, Any],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Served]:
    """One Baton per backend on the seeded project, MLFLOW_WEBHOOK_SECRET set as the operator
    would. This module holds nothing else, so no other test clears its database in between."""
    db = _database(request.param, databases, tmp_path_factory)
    db.clear()
    seeded = seed_churn_model(db)
    probe = Probe(user=seeded.ds, token=make_token(db), mlflow_secret=MLFLOW_SECRET)
    secret = SecretStr(MLFLOW_SECRET)
    with (
        FakeSlack(token=TOKEN, team_id=HOME) as fake,
        served_bot(db, fake, mlflow_webhook_secret=secret) as bot,
    ):
        runner = bot.baton.app._listener_runner
        listeners = _Settling(runner.listener_executor)
        runner.listener_executor = runner.lazy_listener_runner.executor = listeners
        yield Served(bot, db, probe, rows_but_token_use(db), listeners)
    problems = block_kit_violations(fake)
    assert not problems, problems


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        f"{r.levelname} {r.name}: {r.getMessage()[:200]}"
        for r in caplog.records
        if r.levelno > logging.WARNING or (r.exc_info and r.levelno >= logging.WARNING)
    ]


@pytest.mark.parametrize("crafted", CASES, ids=[c.name for c in CASES])
def test_a_crafted_request_is_refused_without_a_5xx_or_a_change(
    served: Served, caplog: pytest.LogCaptureFixture, crafted: Case
) -> None:
    assert rows_but_token_use(served.db) == served.rows  # the seed, as the case before left it
    started = time.monotonic()
    with caplog.at_level(logging.INFO):
        response = crafted.send(served.bot, served.probe)
        served.listeners.settle()
    elapsed = time.monotonic() - started
    assert response.status_code < 500, (response.status_code, response.text[:300])
    if crafted.expect is not None:
        assert response.status_code in crafted.expect, (response.status_code, response.text[:300])
    assert elapsed < 2.9, f"answered after {elapsed:.1f} s"  # bolt gives up on an ack at 3 s
    assert rows_but_token_use(served.db) == served.rows
    assert errors_logged(caplog) == []
