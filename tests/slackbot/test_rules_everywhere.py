"""One rule, every way in: the same bad value is refused by a Slack command, by /api/v1, by an
MLflow webhook and by the service itself, in the same words (models/rules.py), and nothing
changes. Each case names the rule and the ways in that take such a value."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import ValidationError

from models import rules
from models.errors import DomainError
from models.schemas.base import Actor
from models.schemas.monitoring import MonitorSource
from models.services import integrations, monitoring, projects
from tests.slackbot.api_client import Api, make_token
from tests.slackbot.harness import HOME
from tests.slackbot.test_mlflow import created, send

BAD_KEY, BAD_METRIC, BAD_URL, SHORT_POLL = "Churn_Model", "9lives", "ftp://metrics.acme/x", "10"
LONG_MODEL = "m" * (rules.MODEL_NAME_MAX + 1)
SOURCE = "json https://metrics.acme/churn data.auc"


def said(check: Callable[[str], Any], value: str) -> str:
    """What the rule says about `value` (and that it refuses it at all)."""
    with pytest.raises(DomainError) as refused:
        check(value)
    return refused.value.message


@dataclass(frozen=True)
class Case:
    rule: Callable[[str], Any]
    value: str
    gist: str  # what a person reads, whatever the exact wording
    commands: tuple[str, ...]  # /mlops text; {v} is the bad value
    api: tuple[tuple[str, dict[str, Any], tuple[Any, ...]], ...] = ()  # path, body, field loc
    mlflow: tuple[dict[str, Any], ...] = ()  # model_version.created data
    service: Callable[[Any, Actor, str], Any] | None = None


def _create(s, actor, v):
    projects.create_project(s, actor, v, "Churn", "CCHURN")


def _add_monitor(s, actor, v):
    monitoring.add_monitor(s, actor, "churn-model", v, "min", 0.8)


def _link(s, actor, v):
    integrations.link_model(s, actor, "churn-model", v)


OBSERVATION = {"project": "churn-model", "metric": "auc", "value": 0.9}
CASES = {
    "project key": Case(
        rules.project_key,
        BAD_KEY,
        "is not a valid project key",
        ("status {v}", "project create {v}", "monitor add {v} auc min 0.8"),
        api=(
            ("/api/v1/metrics", {**OBSERVATION, "project": BAD_KEY}, ("body", "project")),
            (
                "/api/v1/handoffs",
                {"project": BAD_KEY, "packet": {}, "requested_by": "UDS"},
                ("body", "project"),
            ),
        ),
        service=_create,
    ),
    "metric name": Case(
        rules.metric_name,
        BAD_METRIC,
        "is not a valid metric name",
        ("monitor add churn-model {v} min 0.8", "metric churn-model {v} 0.5"),
        api=(("/api/v1/metrics", {**OBSERVATION, "metric": BAD_METRIC}, ("body", "metric")),),
        service=_add_monitor,
    ),
    "poll interval": Case(
        rules.poll_seconds,
        SHORT_POLL,
        "from 30 to 86400",
        (f"monitor add churn-model auc min 0.8 {SOURCE} every {{v}}",),
        service=lambda s, a, v: MonitorSource(
            kind="json", url="https://metrics.acme/churn", query="data.auc", poll_seconds=int(v)
        ),
    ),
    "source URL": Case(
        rules.source_url,
        BAD_URL,
        "is not an http:// or https:// URL",
        ("monitor add churn-model auc min 0.8 json {v} data.auc",),
        service=lambda s, a, v: MonitorSource(kind="json", url=v, query="data.auc"),
    ),
    "model name": Case(
        rules.model_name,
        LONG_MODEL,
        f"the limit is {rules.MODEL_NAME_MAX}",
        ("project link-model churn-model {v}",),
        mlflow=({"name": LONG_MODEL},),
        service=_link,
    ),
}


def _rows(db) -> dict:
    """Every row but the tokens' (each good API call records when its token was last used)."""
    return {table: rows for table, rows in db.dump().items() if table != "api_tokens"}


@pytest.mark.parametrize("name", CASES)
def test_every_way_in_refuses_the_same_value_with_the_same_rule(hooked, db, seeded, name):
    case = CASES[name]
    rule = said(case.rule, case.value)
    assert case.gist in rule
    api = Api(hooked.url, make_token(db))
    hooked.deliver()  # the seeding's own notifications
    before, posted = _rows(db), len(hooked.fake.calls_to("chat.postMessage"))

    for text in case.commands:
        reply = hooked.reply(text.format(v=case.value), user=seeded.architect)
        assert reply["text"] == rule, text

    for path, body, loc in case.api:
        response = api.post(path, body)
        assert response.status_code == 422, path
        errors = {tuple(e["loc"]): e["msg"] for e in response.json()["errors"]}
        assert errors[loc] == rule, path

    for data in case.mlflow:
        response = send(hooked, created(name=data["name"]))
        assert response.status_code == 400
        assert response.json()["error"].endswith(f"name: {rule}")

    if case.service is not None:
        with pytest.raises((DomainError, ValidationError)) as refused, db.session() as s:
            case.service(s, Actor(HOME, seeded.architect), case.value)
        problem = refused.value
        if isinstance(problem, ValidationError):
            assert problem.errors()[0]["msg"] == f"Value error, {rule}"
        else:
            assert problem.message == rule

    assert hooked.deliver() == 0
    assert _rows(db) == before
    assert len(hooked.fake.calls_to("chat.postMessage")) == posted


def test_the_values_just_inside_each_limit_pass_every_rule():
    assert rules.project_key("ab") == "ab" and rules.project_key("a" * 40)
    assert rules.metric_name("_" + "a" * 63)
    assert rules.poll_seconds("30") == 30 and rules.poll_seconds(86400) == 86400
    assert rules.model_name(" " + "m" * rules.MODEL_NAME_MAX + " ") == "m" * rules.MODEL_NAME_MAX
    assert rules.source_url("https://metrics.acme/churn")
    for refused in (29, 86401, "3O", "²", True):
        with pytest.raises(DomainError):
            rules.poll_seconds(refused)
