"""/api/v1 as a pipeline uses it: bearer tokens, JSON answers, field errors, one workspace each.

Every response here is also checked against the published OpenAPI document (tests/slackbot/
api_client.py), so a test that passes is a test of the contract too.
"""

from __future__ import annotations

import csv
import io
import logging

import pytest
from sqlalchemy import select
from werkzeug.exceptions import NotFound

from bot.db import make_engine, make_session_factory
from models.audit import AuditEvent
from models.enums import Decision, HandoffStatus
from models.handoff import Handoff
from models.policy import DEFAULT_POLICY
from models.schemas.base import Actor
from models.services import decisions, projects, tokens
from tests.slackbot.api_client import Api, make_token
from tests.slackbot.flow import PACKETS, buttons, card_messages, text_of
from tests.slackbot.harness import HOME

OTHER = "TOTHER"
ENDPOINTS = [
    ("POST", "/api/v1/metrics", {"project": "churn-model", "metric": "auc", "value": 0.9}),
    ("POST", "/api/v1/handoffs", {"project": "churn-model", "packet": {}, "requested_by": "UDS"}),
    ("GET", "/api/v1/projects/churn-model/audit", None),
    ("GET", "/api/v1/projects/churn-model/dossier", None),
    ("GET", "/api/v1/projects/churn-model", None),
    ("GET", "/api/v1/handoffs/1", None),
    ("POST", "/api/v1/handoffs/1/cancel", {}),
    ("GET", "/api/v1/openapi.json", None),
    ("GET", "/api/v1/no-such-thing", None),
]


@pytest.fixture
def api(bot, db) -> Api:
    return Api(bot.url, make_token(db))


def _handoff_body(seeded, packet=None, **extra):
    return {
        "project": seeded.key,
        "packet": PACKETS["develop"] if packet is None else packet,
        "requested_by": seeded.ds,
        **extra,
    }


def _rows(db) -> dict:
    """Every row but the tokens' (each good call records when its token was last used)."""
    return {table: rows for table, rows in db.dump().items() if table != "api_tokens"}


def _revoked(db) -> str:
    plaintext = make_token(db, name="old")
    with db.session() as s:
        tokens.revoke_token(s, HOME, "old")
    return plaintext


# -- authentication ---------------------------------------------------------------------------


@pytest.mark.parametrize(("method", "path", "body"), ENDPOINTS, ids=[e[1] for e in ENDPOINTS])
def test_every_route_refuses_a_missing_wrong_or_revoked_token(api, db, seeded, method, path, body):
    # Each credential in turn, on one served Baton (a refusal changes nothing, so the next
    # starts as this one did): a Baton per credential cost five times the set-up.
    credentials = {
        "none": {},
        "basic": {"Authorization": f"Basic {api.token}"},
        "empty": {"Authorization": "Bearer "},
        "unknown": {"Authorization": "Bearer baton_" + "x" * 43},
        "revoked": {"Authorization": f"Bearer {_revoked(db)}"},
    }
    for credential, headers in credentials.items():
        before = db.dump()
        response = api.call(method, path, token=None, headers=headers, json=body)
        assert response.status_code == 401, credential
        assert response.json() == {"error": "unauthorized"}, credential
        assert response.headers["WWW-Authenticate"].startswith("Bearer"), credential
        assert db.dump() == before, credential


def test_the_token_checks_above_cover_every_route_of_the_api(bot):
    """So a route added later is in ENDPOINTS, or this fails: "every route" stays every route."""
    urls = bot.baton.web.url_map.bind("localhost")
    checked = set()
    for method, path, _ in ENDPOINTS:
        try:
            rule, _args = urls.match(path, method, return_rule=True)
        except NotFound:
            continue  # the unknown path: refused before routing
        checked |= {(rule.rule, method)}
    served = {
        (rule.rule, m)
        for rule in bot.baton.web.url_map.iter_rules()
        if rule.rule.startswith("/api/v1")
        for m in rule.methods - {"HEAD", "OPTIONS"}
    }
    assert checked == served


def test_a_good_token_is_recorded_as_used(api, db):
    assert api.get("/api/v1/openapi.json").status_code == 200
    with db.session() as s:
        (listed,) = tokens.list_tokens(s, HOME)
    assert listed.last_used_at is not None


# -- HTTP errors are JSON too ----------------------------------------------------------------


def test_routing_and_media_errors_answer_json(api, seeded):
    assert api.get("/api/v1/nope").status_code == 404
    wrong_method = api.get("/api/v1/metrics")
    assert wrong_method.status_code == 405 and "POST" in wrong_method.headers["Allow"]
    form = api.call("POST", "/api/v1/handoffs", data="project=churn-model")
    assert form.status_code == 415
    assert form.json() == {"error": "send the body as application/json"}
    broken = api.call(
        "POST", "/api/v1/metrics", data="{not json", headers={"Content-Type": "application/json"}
    )
    assert broken.status_code == 400 and broken.json() == {"error": "the body is not valid JSON"}
    huge = {"observations": [{"project": "x", "metric": "m", "value": 1}] * 20_000}
    too_large = api.post("/api/v1/metrics", huge)
    assert too_large.status_code == 413 and too_large.json() == {"error": "the body is too large"}


# -- 422: field errors ------------------------------------------------------------------------


def test_a_bad_observation_names_each_field(api, seeded):
    response = api.post(
        "/api/v1/metrics", {"project": "Churn Model", "metric": "auc", "value": "high", "x": 1}
    )
    assert response.status_code == 422
    errors = {tuple(e["loc"]): e["msg"] for e in response.json()["errors"]}
    assert set(errors) == {("body", "project"), ("body", "value"), ("body", "x")}
    assert errors[("body", "value")] == "Input should be a valid number"
    assert errors[("body", "x")] == "Extra inputs are not permitted"


def test_a_bad_batch_names_the_item(api, seeded):
    good = {"project": "churn-model", "metric": "auc", "value": 0.9}
    bad = {"project": "churn-model", "metric": "auc", "value": True, "observed_at": "yesterday"}
    response = api.post("/api/v1/metrics", {"observations": [good, bad]})
    locs = [tuple(e["loc"]) for e in response.json()["errors"]]
    assert response.status_code == 422
    assert locs == [
        ("body", "observations", 1, "value"),
        ("body", "observations", 1, "observed_at"),
    ]
    empty = api.post("/api/v1/metrics", {"observations": []})
    assert empty.status_code == 422 and empty.json()["errors"][0]["loc"] == ["body", "observations"]
    naive = api.post("/api/v1/metrics", {**good, "observed_at": "2026-03-02T09:00:00"})
    assert naive.json()["errors"][0]["loc"] == ["body", "observed_at"]


def test_a_bad_handoff_body_and_an_incomplete_packet_get_field_errors(api, db, seeded):
    before = _rows(db)
    body = api.post("/api/v1/handoffs", {"project": seeded.key, "packet": {}, "to_stage": "prod"})
    assert body.status_code == 422
    assert {tuple(e["loc"]) for e in body.json()["errors"]} == {
        ("body", "to_stage"),
        ("body", "requested_by"),
    }
    packet = {**PACKETS["develop"], "success_metric": " ", "colour": "blue"}
    response = api.post("/api/v1/handoffs", _handoff_body(seeded, packet))
    assert response.status_code == 422
    assert {tuple(e["loc"]): e["msg"] for e in response.json()["errors"]} == {
        ("body", "packet", "success_metric"): "Success metric is required",
        ("body", "packet", "colour"): "not a field of the manage → develop packet",
    }
    assert _rows(db) == before


def test_an_unknown_audit_format_is_a_field_error(api, seeded):
    response = api.get(f"/api/v1/projects/{seeded.key}/audit?format=xml")
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"] == ["query", "format"]


# -- POST /api/v1/handoffs -------------------------------------------------------------------


def test_a_pipeline_requests_a_handoff_and_slack_sees_the_card(api, bot, slack, db, seeded):
    packet = {**PACKETS["develop"], "success_metric": 0.85}  # target_date is a date now
    response = api.post("/api/v1/handoffs", _handoff_body(seeded, packet))
    assert response.status_code == 201
    body = response.json()
    assert (body["project"], body["from_stage"], body["to_stage"]) == (
        seeded.key,
        "manage",
        "develop",
    )
    assert body["packet"]["success_metric"] == "0.85"  # numbers arrive as text
    assert {s["role"]: s["state"] for s in body["signoffs"]} == {
        "domain_expert": "pending",
        "ml_architect": "pending",
    }
    bot.deliver()
    card = slack.last_message(seeded.channel)
    assert buttons(card) == ["Approve", "Request changes", "Reject"]
    assert "Predict churn 30 days ahead" in text_of(card)
    assert len(card_messages(bot)) == 3  # the channel and each required lead
    with db.session() as s:
        assert s.scalars(select(Handoff.source)).one() == "api"


def test_the_cards_go_out_without_waiting_for_the_next_poll(api, bot, slack, seeded):
    bot.baton.deliverer.start(poll_seconds=600)  # only a kick can wake it in time
    try:
        assert api.post("/api/v1/handoffs", _handoff_body(seeded)).status_code == 201
        slack.wait_for(lambda: len(card_messages(bot)) == 3)
    finally:
        bot.baton.deliverer.stop()


def test_the_rules_of_the_form_apply(api, db, seeded):
    outsider = api.post("/api/v1/handoffs", {**_handoff_body(seeded), "requested_by": "UNOBODY"})
    assert outsider.status_code == 403 and "Only members" in outsider.json()["error"]
    with db.session() as s:
        refusal = s.scalars(select(AuditEvent).where(AuditEvent.actor == "UNOBODY")).one()
    assert refusal.action == "refused.handoff.request" and refusal.detail["source"] == "api"
    missing = api.post("/api/v1/handoffs", {**_handoff_body(seeded), "project": "nope-model"})
    assert missing.status_code == 404
    assert api.post("/api/v1/handoffs", _handoff_body(seeded)).status_code == 201
    second = api.post("/api/v1/handoffs", _handoff_body(seeded))
    assert second.status_code == 409 and "already has an open hand-off" in second.json()["error"]
    backwards = api.post("/api/v1/handoffs", {**_handoff_body(seeded), "to_stage": "monitor"})
    assert backwards.status_code == 409


def test_a_packet_waiting_for_changes_is_resubmitted_as_the_next_round(api, db, seeded):
    first = api.post("/api/v1/handoffs", _handoff_body(seeded)).json()
    with db.session() as s:
        decisions.decide(
            s,
            Actor(HOME, seeded.domain),
            first["id"],
            Decision.CHANGES_REQUESTED,
            DEFAULT_POLICY,
            "Name the holdout set",
        )
    packet = {**PACKETS["develop"], "success_metric": "AUC >= 0.85 on the March holdout"}
    again = api.post("/api/v1/handoffs", _handoff_body(seeded, packet))
    assert again.status_code == 200
    assert (again.json()["id"], again.json()["round"]) == (first["id"], 2)
    assert again.json()["status"] == HandoffStatus.PENDING


# -- GET /api/v1/projects/{key}/audit --------------------------------------------------------


def test_audit_export_as_json_and_csv(api, seeded):
    as_json = api.get(f"/api/v1/projects/{seeded.key}/audit")
    assert as_json.status_code == 200
    entries = as_json.json()
    assert [e["action"] for e in entries][:2] == ["project.created", "role.assigned"]
    assert all(e["project_key"] == seeded.key for e in entries)
    as_csv = api.get(f"/api/v1/projects/{seeded.key}/audit?format=csv")
    assert as_csv.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="churn-model-audit.csv"' in as_csv.headers["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(as_csv.text)))
    assert [r["id"] for r in rows] == [str(e["id"]) for e in entries]
    assert api.get("/api/v1/projects/nope-model/audit").status_code == 404


# -- one workspace per token -----------------------------------------------------------------


def test_a_token_never_reaches_another_workspace(api, bot, db, seeded):
    with db.session() as s:
        projects.create_project(s, Actor(OTHER, "UEVE"), "secret-model", "Secret", "CSECRET")
    theirs = Api(bot.url, make_token(db, OTHER, "their-ci"))
    assert api.get("/api/v1/projects/secret-model/audit").status_code == 404
    assert theirs.get(f"/api/v1/projects/{seeded.key}/audit").status_code == 404
    assert theirs.get("/api/v1/projects/secret-model/audit").status_code == 200
    steal = api.post(
        "/api/v1/handoffs", {"project": "secret-model", "packet": {}, "requested_by": "UEVE"}
    )
    assert steal.status_code == 404
    intrude = theirs.post("/api/v1/handoffs", _handoff_body(seeded))
    assert intrude.status_code == 404


def test_a_database_outage_answers_503_and_logs_the_cause(api, bot, seeded, tmp_path, caplog):
    healthy = bot.baton.rt.sessions
    bot.baton.rt.sessions = make_session_factory(make_engine(f"sqlite:///{tmp_path}/no/such.db"))
    try:
        with caplog.at_level(logging.ERROR, logger="handlers.api"):
            response = api.get(f"/api/v1/projects/{seeded.key}/audit")
    finally:
        bot.baton.rt.sessions = healthy
    assert response.status_code == 503
    assert response.json() == {"error": "database unavailable, try again"}
    assert "database unavailable" in caplog.text and api.token not in caplog.text
