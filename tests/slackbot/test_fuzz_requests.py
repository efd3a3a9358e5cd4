"""Malformed requests on every way in (issue 16 §2): never a 5xx, never a changed row, never an
error in the log. The crafted table lives in tests/slackbot/malformed.py; generated shapes
follow (Hypothesis over Slack's payloads, schemathesis over the published OpenAPI document)."""

from __future__ import annotations

import logging
import time

import pytest
import requests
import schemathesis
from hypothesis import given, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from tests.slackbot import malformed
from tests.slackbot.api_client import make_token
from tests.slackbot.conftest import MLFLOW_SECRET
from tests.slackbot.malformed import CASES, Case, Probe
from tests.slackbot.test_fuzz import FUZZ


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
    """Every row, but an API token's last use (a call with it is a use, even a refused one),
    as one statement's text per table (Database.fingerprint): read before and after each of
    hundreds of generated examples, a full dump() per table cost about a minute."""
    return db.fingerprint(without=("api_tokens",))


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
    assert elapsed < 2.9, f"answered after {elapsed:.1f} s"  # bolt gives up on an ack at 3 s
    assert _rows(db) == before
    assert errors_logged(caplog) == []


# -- generated: Slack's payload shapes, bent ----------------------------------------------------

GENERATED = settings(FUZZ, max_examples=25)  # the same bounded, reproducible run
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**40), max_value=10**30),
    st.text(max_size=40),
    st.sampled_from(["UDS", "THOME", "U" + "A" * 40, "3000000000", "1\x00", "handoff.approve"]),
)
anything = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=8,
)
FIELDS = {
    "block_actions": ("user", "team", "actions", "trigger_id", "view", "response_url"),
    "view_submission": ("user", "team", "view"),
}


def _bent(kind: str, field: str, value) -> dict:
    """A real payload of `kind` with one of its fields replaced by anything at all."""
    if kind == "block_actions":
        payload = malformed.click_payload("handoff.approve", "1")
    else:
        payload = malformed.view_payload("handoff.reason", malformed.REASON_META)
    payload[field] = value
    return payload


@GENERATED
@given(
    kind=st.sampled_from(sorted(FIELDS)),
    data=st.data(),
    value=anything,
)
def test_any_field_of_a_signed_interaction_is_refused_without_a_5xx(
    hooked, db, seeded, kind, data, value
):
    field = data.draw(st.sampled_from(FIELDS[kind]))
    before = _rows(db)
    body = malformed.interaction(_bent(kind, field, value))
    response = malformed.signed_with(hooked, body, str(int(time.time())), malformed.FORM)
    assert response.status_code < 500, (field, value, response.text[:200])
    assert _rows(db) == before


@GENERATED
@given(
    event=anything,
    fields=st.dictionaries(st.sampled_from(["team_id", "event_id", "type"]), scalars, max_size=2),
)
def test_any_event_is_refused_without_a_5xx(hooked, db, seeded, event, fields):
    before = _rows(db)
    response = malformed.signed_with(
        hooked, malformed.event_body(event, **fields), str(int(time.time())), malformed.JSON
    )
    assert response.status_code < 500, (event, fields, response.text[:200])
    assert _rows(db) == before


# -- generated: the published contract, held to itself ------------------------------------------

CONTRACT_CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_the_api_answers_what_its_openapi_document_promises(hooked, db, seeded, mode):
    token = make_token(db)
    published = requests.get(
        f"{hooked.url}/api/v1/openapi.json",
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    ).json()
    schema = schemathesis.openapi.from_dict(published)
    checks = CONTRACT_CHECKS + (
        [negative_data_rejection] if mode is GenerationMode.NEGATIVE else []
    )
    refused = mode is GenerationMode.NEGATIVE  # refused input changes nothing
    state = [_rows(db)] if refused else []  # the rows as the last example left them
    for result in schema.get_all_operations():
        operation = result.ok()

        @GENERATED
        @given(case=operation.as_strategy(generation_mode=mode))
        def call(case) -> None:
            response = case.call(base_url=hooked.url, headers={"Authorization": f"Bearer {token}"})
            if refused:
                # One read per example: the rows after it are the next example's "before"
                # (kept even when this one fails, so Hypothesis's replays compare truly).
                before, state[0] = state[0], _rows(db)
            case.validate_response(response, checks=checks)
            if refused:
                assert state[0] == before

        call()
