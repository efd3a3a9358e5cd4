"""The fake Slack's custom-step methods (functions.completeSuccess / completeError) and
chat.getPermalink answer as strictly as Slack documents, through slack_sdk's real client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from tests.fakeslack import FakeSlack

TOKEN = "xoxb-valid"
OUTPUTS = {
    "properties": {
        "decision": {"type": "string"},
        "approvers": {"type": "array", "items": {"type": "slack#/types/user_id"}},
    },
    "required": ["decision"],
}


@pytest.fixture
def fake() -> Iterator[FakeSlack]:
    with FakeSlack(token=TOKEN) as running:
        yield running


def _client(fake: FakeSlack, token: str = TOKEN) -> WebClient:
    return WebClient(token=token, base_url=fake.base_url)


def _refused(call) -> str:
    with pytest.raises(SlackApiError) as refused:
        call()
    return str(refused.value.response["error"])


def test_a_step_completes_once_with_outputs_matching_its_declaration(fake):
    fake.start_execution("Fx1", OUTPUTS)
    client = _client(fake)
    outputs = {"decision": "approved", "approvers": ["U1", "U2"]}
    assert client.functions_completeSuccess(function_execution_id="Fx1", outputs=outputs)["ok"]
    assert fake.completion("Fx1") == {"method": "functions.completeSuccess", "outputs": outputs}
    again = _refused(lambda: client.functions_completeError(function_execution_id="Fx1", error="x"))
    assert again == "execution_not_in_running_state"


@pytest.mark.parametrize(
    "outputs",
    [
        {},  # decision is required
        {"decision": "approved", "extra": "x"},  # not declared
        {"decision": True},  # not a string
        {"decision": "approved", "approvers": ["not-a-user"]},
        {"decision": "approved", "approvers": "U1"},  # not an array
    ],
)
def test_outputs_that_do_not_match_the_declaration_are_refused(fake, outputs):
    fake.start_execution("Fx2", OUTPUTS)
    error = _refused(
        lambda: _client(fake).functions_completeSuccess(
            function_execution_id="Fx2", outputs=outputs
        )
    )
    assert error == "parameter_validation_failed" and fake.completion("Fx2") is None


def test_unknown_executions_empty_errors_and_strangers_are_refused(fake):
    client = _client(fake)
    unknown = _refused(
        lambda: client.functions_completeError(function_execution_id="Fx9", error="x")
    )
    assert unknown == "function_execution_not_found"
    fake.start_execution("Fx3", OUTPUTS)
    empty = _refused(lambda: client.functions_completeError(function_execution_id="Fx3", error=" "))
    assert empty == "invalid_arguments"
    stranger = _client(fake, "xoxb-someone-else")
    assert (
        _refused(lambda: stranger.functions_completeError(function_execution_id="Fx3", error="x"))
        == "invalid_auth"
    )


def test_the_execution_token_works_until_the_step_completes(fake):
    token = fake.start_execution("Fx4", OUTPUTS)
    step = _client(fake, token)
    assert step.functions_completeError(function_execution_id="Fx4", error="Rejected")["ok"]
    assert fake.completion("Fx4") == {"method": "functions.completeError", "error": "Rejected"}
    later = _refused(lambda: step.chat_postMessage(channel="C1", text="hi"))
    assert later == "invalid_auth"


def test_a_permalink_names_a_posted_message_only(fake):
    client = _client(fake)
    posted = client.chat_postMessage(channel="C1", text="hand-off")
    link = client.chat_getPermalink(channel="C1", message_ts=posted["ts"])["permalink"]
    assert link == f"https://fake.slack.test/archives/C1/p{posted['ts'].replace('.', '')}"
    missing = _refused(lambda: client.chat_getPermalink(channel="C1", message_ts="1.000001"))
    assert missing == "message_not_found"
