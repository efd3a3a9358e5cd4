"""Malformed requests on every way in (issue 16 §2): never a 5xx, never a changed row, never an
error in the log. The crafted table lives in tests/slackbot/malformed.py; generated shapes
follow (Hypothesis over Slack's payloads, schemathesis over the published OpenAPI document)."""

from __future__ import annotations

import logging
import time

import pytest

from tests.slackbot.api_client import make_token
from tests.slackbot.conftest import MLFLOW_SECRET
from tests.slackbot.malformed import CASES, Case, Probe


def settle(bot) -> None:
    """Wait for every listener the request started (bolt runs them on its executor)."""
    bot.baton.app._listener_runner.listener_executor.shutdown(wait=True)


def errors_logged(caplog) -> list[str]:
    return [
        f"{r.levelname} {r.name}: {r.getMessage()[:200]}"
        for r in caplog.records
        if r.levelno > logging.WARNING or (r.exc_info and r.levelno >= logging.WARNING)
    ]


def _rows(db) -> dict:
    """Every row, but an API token's last use (a call with it is a use, even a refused one)."""
    return {table: rows for table, rows in db.dump().items() if table != "api_tokens"}


@pytest.mark.parametrize("crafted", CASES, ids=[c.name for c in CASES])
def test_a_crafted_request_is_refused_without_a_5xx_or_a_change(
    hooked, slack, db, seeded, caplog, crafted: Case
):
    probe = Probe(user=seeded.ds, token=make_token(db), mlflow_secret=MLFLOW_SECRET)
    before = _rows(db)
    started = time.monotonic()
    with caplog.at_level(logging.INFO):
        response = crafted.send(hooked, probe)
        settle(hooked)
    elapsed = time.monotonic() - started
    assert response.status_code < 500, (response.status_code, response.text[:300])
    if crafted.expect is not None:
        assert response.status_code in crafted.expect, (response.status_code, response.text[:300])
    assert elapsed < 2.5, f"answered after {elapsed:.1f} s"
    assert _rows(db) == before
    assert errors_logged(caplog) == []
