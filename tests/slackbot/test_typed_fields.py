"""Typed packet fields: the form shows each policy field type as its Block Kit element,
prefills it the way that element takes a value, and the Slack form and POST /api/v1/handoffs
accept and refuse the same values with the same words (models/packet_fields.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select, update

from models.enums import Decision, HandoffStatus
from models.handoff import Handoff
from models.policy import DEFAULT_POLICY, parse_policy
from models.schemas.base import Actor
from models.services import decisions
from tests.slackbot.api_client import Api, make_token
from tests.slackbot.flow import PACKETS, open_form, prefilled, request_handoff
from tests.slackbot.harness import HOME

EVERY_TYPE = """
transitions:
  - from: manage
    to: develop
    signoff: [domain_expert]
    receivers: [data_scientist]
    sla_hours: 24
    fields:
      - {key: summary, label: Summary}
      - {key: notes, label: Notes, type: multiline}
      - {key: due, label: Due, type: date}
      - {key: dashboard, label: Dashboard, type: url}
      - {key: threshold, label: Threshold, type: number}
      - {key: release, label: Release, type: version}
      - {key: dataset, label: Dataset, type: name@version}
      - {key: cause, label: Cause, type: select, options: [model, data pipeline, both, unknown]}
      - {key: owner, label: Owner, type: user}
"""
ELEMENTS = {
    "summary": "plain_text_input",
    "notes": "plain_text_input",
    "due": "datepicker",
    "dashboard": "url_text_input",
    "threshold": "number_input",
    "release": "plain_text_input",
    "dataset": "plain_text_input",
    "cause": "static_select",
    "owner": "users_select",
}
GOOD = {
    "summary": "Retrain on March data",
    "notes": "Two lines\nof notes",
    "due": "2026-05-01",
    "dashboard": "https://grafana.acme/d/churn",
    "threshold": "0.85",
    "release": "1.4.2",
    "dataset": "customers@2026-02-28",
    "cause": "data pipeline",
    "owner": "UDS",
}
# Values a person (or a pipeline, or a forged submission) might send, and what each is told.
BAD = {
    "due": ("next quarter", "Due must be a date, YYYY-MM-DD (like 2026-05-01)"),
    "dashboard": ("grafana", "Dashboard must be an http:// or https:// link"),
    "threshold": ("four", "Threshold must be a number, like 0.85"),
    "release": ("four", "Release must be a version, like 3 or 1.4.2"),
    "dataset": ("customers", "Dataset must name its version, like customers@2024-06-01"),
    "cause": ("aliens", "Cause must be one of: model, data pipeline, both, unknown"),
    "owner": ("bob", "Owner must be a Slack user"),
}
# Where each element reports what was entered, as Slack sends view_submission state.
FORGED_STATE = {
    "due": lambda v: {"type": "datepicker", "selected_date": v},
    "dashboard": lambda v: {"type": "url_text_input", "value": v},
    "threshold": lambda v: {"type": "number_input", "value": v},
    "cause": lambda v: {"type": "static_select", "selected_option": {"value": v, "text": {}}},
    "owner": lambda v: {"type": "users_select", "selected_user": v},
}


@pytest.fixture
def typed(bot):
    bot.baton.rt.policy = parse_policy(EVERY_TYPE, "every-type.yaml")
    return bot


def _inputs(form) -> dict:
    return {b["block_id"]: b["element"] for b in form["blocks"] if b["type"] == "input"}


def _rows(db) -> dict:
    return {table: rows for table, rows in db.dump().items() if table != "api_tokens"}


def test_each_field_type_is_its_own_element(typed, seeded):
    inputs = _inputs(open_form(typed, seeded.ds, seeded.key))
    assert {key: e["type"] for key, e in inputs.items()} == ELEMENTS
    assert inputs["notes"]["multiline"] is True and inputs["summary"]["multiline"] is False
    assert inputs["threshold"]["is_decimal_allowed"] is True
    assert [o["value"] for o in inputs["cause"]["options"]] == [
        "model",
        "data pipeline",
        "both",
        "unknown",
    ]
    assert all(o["text"]["type"] == "plain_text" for o in inputs["cause"]["options"])


def test_the_built_in_policy_asks_for_a_date_a_link_a_version_and_a_cause(bot, seeded):
    form = _inputs(open_form(bot, seeded.ds, seeded.key))
    assert form["target_date"]["type"] == "datepicker"
    monitor = {f.key: f.type for f in DEFAULT_POLICY.transitions[2].fields}
    retrain = {f.key: f for f in DEFAULT_POLICY.transitions[3].fields}
    assert (monitor["dashboard_url"], monitor["deployed_version"]) == ("url", "version")
    cause = retrain["suspected_cause"]
    assert cause.type == "select"
    assert cause.options == ("model", "data pipeline", "both", "unknown")


def test_good_values_of_every_type_are_accepted_from_the_form(typed, db, seeded):
    response = typed.submit(open_form(typed, seeded.ds, seeded.key), GOOD, user=seeded.ds)
    assert response.status_code == 200 and response.text == ""
    with db.session() as s:
        assert s.scalars(select(Handoff.packet)).one() == GOOD


def test_bad_values_are_refused_beside_each_input_and_nothing_changes(typed, db, seeded):
    form = open_form(typed, seeded.ds, seeded.key)
    typed.deliver()
    before = _rows(db)
    texts = {k: v for k, (v, _) in BAD.items() if k not in FORGED_STATE}
    forged = {k: FORGED_STATE[k](BAD[k][0]) for k in FORGED_STATE}
    response = typed.submit(form, {**GOOD, **texts}, user=seeded.ds, forged=forged)
    assert response.status_code == 200
    assert response.json() == {
        "response_action": "errors",
        "errors": {key: said for key, (_, said) in BAD.items()},
    }
    assert _rows(db) == before


def test_the_api_refuses_the_same_values_with_the_same_words(typed, db, seeded):
    api = Api(typed.url, make_token(db))
    before = _rows(db)
    body = {"project": seeded.key, "requested_by": seeded.ds}
    bad = {**GOOD, **{key: value for key, (value, _) in BAD.items()}}
    response = api.post("/api/v1/handoffs", {**body, "packet": bad})
    assert response.status_code == 422
    errors = {tuple(e["loc"]): e["msg"] for e in response.json()["errors"]}
    assert errors == {("body", "packet", key): said for key, (_, said) in BAD.items()}
    assert _rows(db) == before
    accepted = api.post("/api/v1/handoffs", {**body, "packet": {**GOOD, "threshold": 0.85}})
    assert accepted.status_code == 201
    assert accepted.json()["packet"] == GOOD


def test_resubmitting_prefills_each_element_the_way_it_takes_a_value(typed, db, seeded):
    request_handoff(typed, seeded.ds, seeded.key, GOOD)
    with db.session() as s:
        handoff_id = s.scalars(select(Handoff.id)).one()
        decisions.decide(
            s, Actor(HOME, seeded.domain), handoff_id, Decision.CHANGES_REQUESTED,
            typed.baton.rt.policy, "Pick a later date",
        )  # fmt: skip
    form = open_form(typed, seeded.ds, seeded.key)
    inputs = _inputs(form)
    assert inputs["due"]["initial_date"] == "2026-05-01"
    assert inputs["owner"]["initial_user"] == "UDS"
    assert inputs["threshold"]["initial_value"] == "0.85"  # Block Kit numbers are strings
    assert inputs["dashboard"]["initial_value"] == GOOD["dashboard"]
    # Slack wants initial_option to be one of the options, exactly.
    assert inputs["cause"]["initial_option"] in inputs["cause"]["options"]
    assert prefilled(form) == GOOD
    response = typed.submit(form, {**GOOD, "due": "2026-06-01"}, user=seeded.ds)
    assert response.status_code == 200 and response.text == ""
    with db.session() as s:
        handoff = s.get(Handoff, handoff_id)
        assert (handoff.round, handoff.status) == (2, HandoffStatus.PENDING)
        assert handoff.packet["due"] == "2026-06-01"


def test_a_value_from_before_the_types_is_not_forced_into_an_element(bot, db, seeded):
    """A packet typed as free text (target date "next quarter") prefills the text fields; the
    datepicker opens empty, as Slack would refuse the view with a malformed initial_date."""
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])
    old = {**PACKETS["develop"], "target_date": "next quarter"}
    with db.session() as s:
        s.execute(update(Handoff).values(packet=old))
    bot.reply(f"handoff cancel {seeded.key}", user=seeded.ds)
    inputs = _inputs(open_form(bot, seeded.ds, seeded.key))
    assert "initial_date" not in inputs["target_date"]
    assert inputs["objective"]["initial_value"] == PACKETS["develop"]["objective"]
