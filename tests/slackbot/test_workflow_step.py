"""Workflow Builder's "Request Baton sign-off" step, end to end over signed HTTP: Slack sends
`function_executed`, the card is posted, the leads decide in Slack, and only then does Baton
complete the step (functions.completeSuccess / completeError on the fake Slack), also when
the Baton that received the step is not the one that records the decision."""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import pytest
import yaml
from sqlalchemy import Engine, select, text

from bot.db import make_engine
from handlers.workflow import CALLBACK_ID
from models.enums import Decision
from models.gates import WorkflowStep
from models.handoff import Handoff
from models.policy import DEFAULT_POLICY
from models.schemas.base import Actor
from models.services import decisions, handoffs
from models.services.workflow_steps import StepRequest
from tests.processes import POLL_SECONDS
from tests.slackbot.conftest import TOKEN, served_bot
from tests.slackbot.flow import PACKETS, approve_all, buttons, text_of
from tests.slackbot.harness import HOME, BotClient

MANIFEST = Path(__file__).resolve().parents[2] / "bot" / "manifest.yml"
STEP = yaml.safe_load(MANIFEST.read_text())["functions"]["request_signoff"]
PACKET_TEXT = "\n".join(f"{k}: {v}" for k, v in PACKETS["develop"].items())
T = TypeVar("T")


def _parameters(declared: dict[str, Any]) -> list[dict[str, Any]]:
    """The manifest's parameters as function_executed lists them."""
    required = set(declared.get("required") or [])
    return [
        {"name": name, **spec, "is_required": name in required}
        for name, spec in declared["properties"].items()
    ]


def run_step(bot: BotClient, execution_id: str, **inputs: str) -> None:
    """Slack runs the step: the execution starts (its token valid until it completes) and a
    signed event_callback with the function_executed event reaches Baton."""
    token = bot.fake.start_execution(execution_id, STEP["output_parameters"])
    event = {
        "type": "function_executed",
        "function": {
            "id": "Fn0BATONSTEP",
            "callback_id": "request_signoff",
            "title": STEP["title"],
            "description": STEP["description"],
            "type": "app",
            "input_parameters": _parameters(STEP["input_parameters"]),
            "output_parameters": _parameters(STEP["output_parameters"]),
            "app_id": "A1",
            "date_created": 1764600000,
            "date_updated": 1764600000,
            "date_deleted": 0,
        },
        "inputs": inputs,
        "function_execution_id": execution_id,
        "workflow_execution_id": f"Wx{execution_id}",
        "event_ts": f"{time.time():.6f}",
        "bot_access_token": token,
    }
    response = bot.event(event, event_id=f"Ev{execution_id}")
    assert response.status_code == 200, response.text


def _eventually(probe: Callable[[], T], timeout: float = 10.0) -> T:
    """bolt runs the listener after acknowledging: wait for its effect, with a deadline."""
    deadline = time.monotonic() + timeout
    while not (found := probe()) and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
    assert found, "not within the deadline"
    return found


def _step_handoff(db, execution_id: str) -> int:
    def probe() -> int | None:
        with db.session() as s:
            return s.scalar(
                select(WorkflowStep.handoff_id).where(
                    WorkflowStep.function_execution_id == execution_id
                )
            )

    return _eventually(probe)


def _requested(bot: BotClient, seeded, execution_id: str) -> int:
    run_step(
        bot,
        execution_id,
        project=seeded.key,
        target_stage="develop",
        requester=seeded.ds,
        packet=PACKET_TEXT,
    )
    handoff_id = _step_handoff(_Db(bot), execution_id)
    bot.deliver()
    return handoff_id


class _Db:
    """The runtime's own sessions, so a helper can read through whichever Baton it has."""

    def __init__(self, bot: BotClient) -> None:
        self.rt = bot.baton.rt

    @contextmanager
    def session(self) -> Iterator[Any]:
        with self.rt.session() as s:
            yield s


def _completion_call(slack, execution_id: str):
    calls = [
        c
        for c in slack.calls
        if c.method.startswith("functions.")
        and c.params.get("function_execution_id") == execution_id
    ]
    assert calls, "no completion was sent"
    return calls[-1]


@contextmanager
def another_baton(db, slack) -> Iterator[BotClient]:
    """A second Baton process on the same database: a fresh runtime, app and web server."""
    engine = _own_engine(db)
    try:
        with served_bot(db, slack, engine) as bot:
            yield bot
    finally:
        engine.dispose()


def _own_engine(db) -> Engine:
    """A new engine (its own pool) on the test's database, and on PostgreSQL its schema."""
    if db.backend == "sqlite":
        return make_engine(db.url)
    with db.engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    return make_engine(db.url, connect_args={"options": f"-csearch_path={schema}"})


def test_the_step_posts_the_card_and_completes_only_when_both_leads_approved(
    bot, slack, db, seeded
):
    handoff_id = _requested(bot, seeded, "Fx0001")
    card = slack.last_message(seeded.channel)
    assert buttons(card) == ["Approve", "Request changes", "Reject"]
    assert "Predict churn 30 days ahead" in text_of(card)

    approve_all(bot, handoff_id, [seeded.domain])
    assert slack.completion("Fx0001") is None  # one lead is not a decision
    approve_all(bot, handoff_id, [seeded.architect])

    done = slack.completion("Fx0001")
    assert done is not None and done["method"] == "functions.completeSuccess"
    assert done["outputs"]["decision"] == "approved"
    assert done["outputs"]["approvers"] == [seeded.domain, seeded.architect]
    ts = card["ts"].replace(".", "")
    assert (
        done["outputs"]["handoff_link"]
        == f"https://fake.slack.test/archives/{seeded.channel}/p{ts}"
    )
    # Completed with the app's bot token: the execution's token is never stored.
    assert _completion_call(slack, "Fx0001").headers["Authorization"] == f"Bearer {TOKEN}"
    with db.session() as s:
        step = s.scalars(select(WorkflowStep)).one()
        assert (step.outcome, step.workflow_execution_id) == ("approved", "WxFx0001")
        assert step.completed_at is not None
        assert s.get(Handoff, handoff_id).source == "workflow"
    assert bot.deliver() == 0  # completed once: nothing is left to send


def test_a_rejection_fails_the_step_with_the_reason(bot, slack, db, seeded):
    handoff_id = _requested(bot, seeded, "Fx0002")
    with db.session() as s:
        actor = Actor(HOME, seeded.domain)
        decisions.decide(s, actor, handoff_id, Decision.REJECTED, DEFAULT_POLICY, "No holdout set")
    bot.deliver()
    done = slack.completion("Fx0002")
    assert done == {
        "method": "functions.completeError",
        "error": "The Baton hand-off of churn-model (manage → develop) was rejected: No holdout set",
    }


def test_a_cancelled_hand_off_fails_the_step(bot, slack, db, seeded):
    _requested(bot, seeded, "Fx0003")
    with db.session() as s:
        handoffs.cancel_handoff(s, Actor(HOME, seeded.ds), seeded.key, DEFAULT_POLICY)
    bot.deliver()
    done = slack.completion("Fx0003")
    assert done is not None and done["method"] == "functions.completeError"
    assert "was cancelled" in done["error"]


def test_changes_requested_keep_the_step_waiting(bot, slack, db, seeded):
    handoff_id = _requested(bot, seeded, "Fx0004")
    with db.session() as s:
        actor = Actor(HOME, seeded.domain)
        decisions.decide(
            s, actor, handoff_id, Decision.CHANGES_REQUESTED, DEFAULT_POLICY, "Add a target date"
        )
    bot.deliver()
    assert slack.completion("Fx0004") is None


def test_a_restart_between_request_and_decision_still_completes_the_step(bot, slack, db, seeded):
    handoff_id = _requested(bot, seeded, "Fx0005")
    card = slack.last_message(seeded.channel)
    # The Baton that received the step is gone; another one, on the same database, takes the
    # leads' clicks and delivers what they owe.
    with another_baton(db, slack) as restarted:
        assert restarted.baton.rt is not bot.baton.rt
        for lead in (seeded.domain, seeded.architect):
            assert restarted.click("handoff.approve", str(handoff_id), user=lead, message=card).ok
        restarted.deliver()
    done = slack.completion("Fx0005")
    assert done is not None and done["method"] == "functions.completeSuccess"
    assert done["outputs"]["approvers"] == [seeded.domain, seeded.architect]


@pytest.mark.parametrize(
    ("inputs", "said"),
    [
        ({"project": "fraud-model"}, "No project 'fraud-model' in this workspace"),
        ({"target_stage": "production"}, "'production' is not a stage to hand off to"),
        ({"packet": ""}, "The step needs a packet"),
        ({"packet": "objective: Predict churn"}, "The hand-off packet is incomplete"),
        ({"requester": "UOUTSIDER"}, "request hand-offs"),
        ({"requester": "not-a-user"}, "The requester must be a Slack user"),
        ({"target_stage": "deploy"}, "no hand-off to deploy from there"),
    ],
)
def test_bad_inputs_fail_the_step_at_once_and_change_nothing(bot, slack, db, seeded, inputs, said):
    before = db.dump()
    run_step(
        bot,
        "Fx0100",
        **{
            "project": seeded.key,
            "target_stage": "develop",
            "requester": seeded.ds,
            "packet": PACKET_TEXT,
            **inputs,
        },
    )
    done = slack.wait_for(lambda: slack.completion("Fx0100"))
    assert done["method"] == "functions.completeError"
    assert said in done["error"] and done["error"].startswith("Baton could not request sign-off")
    # At once, within the execution: bolt's fail() uses the execution's own token.
    assert _completion_call(slack, "Fx0100").headers["Authorization"] == "Bearer xwfp-Fx0100"
    after = db.dump()
    for table in ("received_events", "audit_events", "audit_chain_heads"):  # a refusal is audited
        before.pop(table), after.pop(table)
    assert after == before
    assert slack.messages(seeded.channel) == []


def test_the_manifest_declares_the_step_the_app_listens_for():
    manifest = yaml.safe_load(MANIFEST.read_text())
    assert set(manifest["functions"]) == {CALLBACK_ID}
    inputs = STEP["input_parameters"]
    read = {f.name for f in dataclasses.fields(StepRequest)} - {
        "function_execution_id",
        "workflow_execution_id",
    }
    assert set(inputs["properties"]) == read == set(inputs["required"])
    assert inputs["properties"]["requester"]["type"] == "slack#/types/user_id"
    assert set(STEP["output_parameters"]["required"]) == {"decision", "approvers", "handoff_link"}
    settings = manifest["settings"]
    assert settings["org_deploy_enabled"] is True and settings["function_runtime"] == "remote"
    assert "function_executed" in settings["event_subscriptions"]["bot_events"]
