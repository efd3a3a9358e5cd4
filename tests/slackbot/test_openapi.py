"""The published OpenAPI document and the implementation agree: the same routes, the same
request schemas, and answers that validate (test_api.py checks every one of its answers)."""

from __future__ import annotations

import re
from typing import Any

import jsonschema
import pytest
from jsonschema import Draft202012Validator
from pydantic import BaseModel, ValidationError

from handlers.api_openapi import openapi_document
from handlers.api_schemas import HandoffRequest, Observation, ObservationBatch, parse_observations
from tests.slackbot.api_client import Api, make_token, validate

HTTP_METHODS = {"get", "put", "post", "delete", "patch", "options", "head", "trace"}


def _routes(bot) -> set[tuple[str, str]]:
    """(OpenAPI path, method) of every Flask route under /api/v1."""
    found = set()
    for rule in bot.baton.web.url_map.iter_rules():
        if rule.rule.startswith("/api/v1"):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            found |= {(path, m.lower()) for m in rule.methods - {"HEAD", "OPTIONS"}}
    return found


def _documented() -> set[tuple[str, str]]:
    return {
        (path, method)
        for path, item in openapi_document()["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def test_every_route_is_documented_and_every_documented_route_exists(bot):
    assert _routes(bot) == _documented()
    assert len(_documented()) == 8


def test_the_server_publishes_the_document(bot, db):
    response = Api(bot.url, make_token(db)).get("/api/v1/openapi.json")
    assert response.json() == openapi_document()
    assert response.json()["openapi"] == "3.1.0"


def test_bearer_tokens_guard_every_operation():
    doc = openapi_document()
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "baton_…",
    }
    assert doc["security"] == [{"bearerAuth": []}]
    for path, method in _documented():
        operation = doc["paths"][path][method]
        assert "security" not in operation, f"{method} {path} overrides the bearer requirement"
        assert "401" in operation["responses"] and operation["operationId"]


def test_every_schema_is_valid_json_schema_and_every_ref_resolves():
    doc = openapi_document()
    for schema in doc["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    refs = set(re.findall(r"#/components/schemas/([A-Za-z]+)", str(doc)))
    assert refs <= set(doc["components"]["schemas"])


@pytest.mark.parametrize("model", [Observation, ObservationBatch, HandoffRequest])
def test_request_schemas_are_the_validating_models_own(model: type[BaseModel]):
    published = openapi_document()["components"]["schemas"][model.__name__]
    own = model.model_json_schema(ref_template="#/components/schemas/{model}")
    own.pop("$defs", None)
    assert published == own


GOOD = {"project": "churn-model", "metric": "auc", "value": 0.91}
METRIC_BODIES: list[Any] = [
    GOOD,
    {**GOOD, "value": 3},
    {**GOOD, "observed_at": "2026-03-02T09:00:00+01:00"},
    {"observations": [GOOD, {**GOOD, "metric": "p95_latency.ms"}]},
    {**GOOD, "value": "0.9"},
    {**GOOD, "value": True},
    {**GOOD, "project": "Churn"},
    {**GOOD, "metric": "9lives"},
    {**GOOD, "unit": "ratio"},
    {"observations": []},
    {"observations": [GOOD], "extra": 1},
    {"project": "churn-model", "metric": "auc"},
    [GOOD],
]
HANDOFF_BODIES: list[Any] = [
    {"project": "churn-model", "packet": {"a": "b"}, "requested_by": "U123"},
    {"project": "churn-model", "packet": {}, "requested_by": "W0ABC", "to_stage": "deploy"},
    {"project": "churn-model", "packet": {}, "requested_by": "U123", "to_stage": None},
    {"project": "churn-model", "packet": {}, "requested_by": "bob"},
    {"project": "churn-model", "packet": {}, "requested_by": "U123", "to_stage": "archived"},
    {"project": "churn-model", "packet": [], "requested_by": "U123"},
    {"project": "churn-model", "requested_by": "U123"},
    {"project": "churn-model", "packet": {}, "requested_by": "U123", "by": "ci"},
]


def _pydantic_accepts(parse: Any, body: Any) -> bool:
    try:
        parse(body)
    except ValidationError:
        return False
    return True


def _schema_accepts(body: Any, schema: dict[str, Any]) -> bool:
    try:
        validate(body, schema)
    except jsonschema.ValidationError:
        return False
    return True


def _request_schema(path: str) -> dict[str, Any]:
    post = openapi_document()["paths"][path]["post"]
    return post["requestBody"]["content"]["application/json"]["schema"]


@pytest.mark.parametrize("body", METRIC_BODIES, ids=[str(b)[:50] for b in METRIC_BODIES])
def test_the_metrics_schema_accepts_what_the_server_accepts(body):
    expected = _pydantic_accepts(parse_observations, body)
    assert _schema_accepts(body, _request_schema("/api/v1/metrics")) == expected


@pytest.mark.parametrize("body", HANDOFF_BODIES, ids=[str(b)[:50] for b in HANDOFF_BODIES])
def test_the_handoff_schema_accepts_what_the_server_accepts(body):
    expected = _pydantic_accepts(HandoffRequest.model_validate, body)
    assert _schema_accepts(body, _request_schema("/api/v1/handoffs")) == expected
