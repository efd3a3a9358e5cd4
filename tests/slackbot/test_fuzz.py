"""Whatever people type: never a 500, never a ping they did not make, never a Block Kit violation
(the `slack` fixture checks every payload Baton sends against the limits at teardown)."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from bot.blocks import limits
from tests.slackbot.flow import PACKETS, open_form

PINGS = ("<!channel>", "<!here>", "<!everyone>", "<@UEVIL>", "<!subteam^S1>")
WORDS = [
    "project",
    "create",
    "status",
    "role",
    "assign",
    "handoff",
    "cancel",
    "history",
    "lineage",
    "monitor",
    "add",
    "metric",
    "digest",
    "schedule",
    "churn-model",
    "ds",
    "lead",
    '"',
    "“",
    "<@UDS|x>",
    "&lt;",
    "&amp;",
    "\n",
    "0.5",
    "nan",
    "-1e309",
    *PINGS,
]
# Real HTTP per example: a bounded, reproducible run, no shrinking (each step is a request).
FUZZ = settings(
    max_examples=30,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

command_texts = st.one_of(
    st.text(max_size=200),
    st.integers(min_value=3001, max_value=10_000).map(
        lambda n: "monitor add " + "<!here>" * (n // 7)
    ),
    st.lists(st.sampled_from(WORDS), max_size=8).map(" ".join),
    st.lists(st.sampled_from(WORDS) | st.text(max_size=12), max_size=6).map(" ".join),
)
field_values = st.one_of(
    st.text(min_size=1, max_size=300),
    st.sampled_from(PINGS).map(lambda p: f"see {p} now *bold* _it_ `x` <http://evil|click>"),
    st.integers(min_value=3001, max_value=10_000).map(lambda n: "é" * n),
)


def _no_pings(payloads: list[str]) -> None:
    for text in payloads:
        for ping in PINGS:
            assert ping not in text, f"{ping} reached Slack unescaped"


def _sent(slack) -> list[str]:
    """Everything Baton sent to Slack, except a form's prefilled input values: those are the
    user's own words in an input box, which Slack never turns into a mention."""
    return [json.dumps(_without_inputs(c.params), ensure_ascii=False) for c in slack.calls]


def _without_inputs(node):
    if isinstance(node, dict):
        return {k: _without_inputs(v) for k, v in node.items() if k != "initial_value"}
    if isinstance(node, list):
        return [_without_inputs(v) for v in node]
    return node


@FUZZ
@given(text=command_texts)
def test_any_command_text_gets_an_answer_not_an_error(bot, slack, seeded, text):
    response = bot.command(text, user=seeded.ds)
    assert response.status_code == 200, (text, response.text)
    if response.text:
        _no_pings([response.text])
        assert not limits.violations_in_message(response.json())
    bot.deliver()  # whatever the command queued (a created project's notice, a form) too
    _no_pings(_sent(slack))


@FUZZ
@given(field=st.sampled_from(sorted(PACKETS["develop"])), value=field_values)
def test_any_packet_value_is_stored_or_refused_inline_and_never_pings(
    bot, slack, db, seeded, field, value
):
    bot.reply("handoff cancel churn-model", user=seeded.ds)  # each example starts with none open
    form = open_form(bot, seeded.ds, seeded.key)
    response = bot.submit(form, {**PACKETS["develop"], field: value}, user=seeded.ds)
    assert response.status_code == 200
    if response.text:
        assert response.json()["response_action"] == "errors"
    bot.deliver()
    _no_pings(_sent(slack))
