"""Fixtures for driving Baton through Slack: `slack` (fake Web API), `bot` (signed HTTP client)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest
from pydantic import SecretStr
from sqlalchemy import Engine

from bot.blocks import limits
from bot.config import Settings
from bot.db import make_session_factory
from bot.runtime import Runtime
from bot.server import assemble
from bot.slack import make_client
from models.enums import Role
from models.policy import DEFAULT_POLICY
from models.schemas.base import Actor
from models.services import projects, roster
from tests.conftest import seed_once
from tests.fakeslack import FakeSlack
from tests.slackbot.harness import HOME, SECRET, BotClient, Server

TOKEN = "xoxb-test-token"
ADMIN = "UADMIN"


@pytest.fixture
def slack() -> Iterator[FakeSlack]:
    fake = FakeSlack(token=TOKEN, team_id=HOME)
    with fake:
        yield fake
    problems = block_kit_violations(fake)
    assert not problems, problems


@pytest.fixture
def bot_settings() -> dict[str, object]:
    """Settings a test module changes for its `bot` (override this fixture there)."""
    return {}


@pytest.fixture
def bot(db, slack, bot_settings) -> Iterator[BotClient]:
    with served_bot(db, slack, **bot_settings) as client:
        yield client


@contextmanager
def served_bot(
    db, slack: FakeSlack, engine: Engine | None = None, **overrides: object
) -> Iterator[BotClient]:
    """Baton on the test's database and the fake Slack, served on a loopback port; `engine`
    (with a session factory of its own) instead of the test database's shared one, and
    `overrides` for Settings fields."""
    settings = _settings(db.url, overrides).model_copy(update={"slack_api_url": slack.base_url})
    rt = Runtime(
        settings=settings,
        engine=engine or db.engine,
        sessions=make_session_factory(engine) if engine else db.factory,
        policy=DEFAULT_POLICY,
        client=make_client(settings),
        admins=frozenset({ADMIN}),
    )
    baton = assemble(settings, rt)
    with Server(baton.web) as server:
        yield BotClient(baton=baton, fake=slack, url=server.url)


# Settings as the tests build them, per database, overrides and the environment they read:
# reading the environment and validating every field costs a few ms per test, and Settings
# is frozen. Only the fake Slack's URL (a new port per test, valid as given) is set per test.
_SETTINGS: dict[tuple[object, ...], Settings] = {}


def _settings(url: str, overrides: dict[str, object]) -> Settings:
    def plain(value: object) -> object:
        return value.get_secret_value() if isinstance(value, SecretStr) else repr(value)

    environment = tuple(
        sorted((k, v) for k, v in os.environ.items() if k.lower() in Settings.model_fields)
    )
    key = (url, environment, tuple(sorted((k, plain(v)) for k, v in overrides.items())))
    if key not in _SETTINGS:
        _SETTINGS[key] = Settings(
            slack_bot_token=TOKEN,
            slack_signing_secret=SECRET,
            slack_api_url="http://127.0.0.1/api/",  # replaced per test
            baton_database_url=url,
            baton_admins=(ADMIN,),
            _env_file=None,
            **overrides,
        )
    return _SETTINGS[key]


@dataclass(frozen=True)
class Seeded:
    key: str = "churn-model"
    channel: str = "CCHURN"
    creator: str = "UCREATOR"
    ds: str = "UDS"
    de: str = "UDE"
    domain: str = "UDOMAIN"
    architect: str = "UARCH"
    swe: str = "USWE"
    devops: str = "UOPS"
    intern: str = "UINTERN"


LEADS = {
    Role.DATA_SCIENTIST: "ds",
    Role.DATA_ENGINEER: "de",
    Role.DOMAIN_EXPERT: "domain",
    Role.ML_ARCHITECT: "architect",
    Role.SOFTWARE_DEVELOPER: "swe",
    Role.DEVOPS_ENGINEER: "devops",
}


@pytest.fixture
def seeded(db) -> Seeded:
    """churn-model in manage, with a lead for every role the default policy asks for."""
    return seed_once(db, seed_churn_model)


def seed_churn_model(db) -> Seeded:
    """What `seeded` writes, through the services (for a module that keeps a copy of it)."""
    seed = Seeded()
    creator = Actor(HOME, seed.creator)
    with db.session() as s:
        projects.create_project(s, creator, seed.key, "Churn model", seed.channel)
        for role, person in LEADS.items():
            roster.assign_role(s, creator, seed.key, role, getattr(seed, person), lead=True)
        roster.assign_role(s, creator, seed.key, Role.DATA_ANALYST, seed.intern)
    return seed


MESSAGE_METHODS = ("chat.postMessage", "chat.update", "chat.postEphemeral", "response_url")
VIEW_METHODS = ("views.open", "views.update", "views.push", "views.publish")


def block_kit_violations(fake: FakeSlack) -> list[str]:
    """Every payload a test made Baton send to Slack must respect Block Kit's limits."""
    problems = []
    for call in fake.calls:
        if call.method in MESSAGE_METHODS:
            problems += [f"{call.method}: {v}" for v in limits.violations_in_message(call.params)]
        elif call.method in VIEW_METHODS:
            problems += [
                f"{call.method}: {v}" for v in limits.violations_in_view(call.params["view"])
            ]
    return problems


MLFLOW_SECRET = "mlflow-webhook-secret"


@pytest.fixture
def hooked(bot):
    """The bot, with MLFLOW_WEBHOOK_SECRET set as the operator would."""
    rt = bot.baton.rt
    rt.settings = rt.settings.model_copy(update={"mlflow_webhook_secret": SecretStr(MLFLOW_SECRET)})
    return bot
