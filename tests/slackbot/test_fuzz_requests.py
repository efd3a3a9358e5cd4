"""Malformed requests on every way in (issue 16 §2), generated: never a 5xx, never a changed row
(Hypothesis over Slack's payloads, schemathesis over the published OpenAPI document). The
crafted table's cases are in tests/slackbot/test_fuzz_crafted.py."""

from __future__ import annotations

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
from tests.slackbot.test_fuzz import FUZZ
from tests.slackbot.test_fuzz_crafted import rows_but_token_use as _rows

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
