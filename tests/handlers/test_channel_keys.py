"""The key left out in a project's channel, read by the parser alone (no Slack, no database)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers import parsing as p
from models.schemas.projects import ProjectHomes

HOMES = ProjectHomes(
    frozenset({"churn-model", "fraud-eu", "fraud-us", "old"}),
    {"churn-model": "CCHURN", "fraud-eu": "CFRAUD", "fraud-us": "CFRAUD"},
)


def here(channel: str, chosen: str | None = None, calls: list[str] | None = None) -> p.Here:
    def homes() -> ProjectHomes:
        (calls if calls is not None else []).append(channel)
        return HOMES

    return p.Here(channel, homes, chosen)


@pytest.mark.parametrize(
    ("text", "channel", "command"),
    [
        ("status", "CCHURN", p.Status("churn-model")),
        ("history 50", "CCHURN", p.History("churn-model", 50)),
        ("monitor add auc min 0.8", "CCHURN", p.MonitorAdd("churn-model", "auc", "min", 0.8)),
        ("metric nope auc 0.5", "CCHURN", p.Metric("nope", "auc", 0.5)),
        ("status fraud-eu", "CCHURN", p.Status("fraud-eu")),
        ("status old", "CCHURN", p.Status("old")),
        ("status churn-modle", "CCHURN", p.Status("churn-modle")),  # a typo: the service says so
        ("status <#CCHURN|churn-model>", "CELSEWHERE", p.Status("churn-model")),
        ("role assign <@U01|ann> ds", "CCHURN", None),
        ("project create churn-v2", "CCHURN", p.ProjectCreate("churn-v2")),
        ("handoffs", "CCHURN", p.Handoffs(None)),
    ],
)
def test_the_channel_supplies_the_key_only_where_one_is_left_out(text, channel, command):
    if command is None:
        with pytest.raises(p.UsageError, match="'@ann' is a person"):
            p.parse(text, here=here(channel))
    else:
        assert p.parse(text, here=here(channel)) == command


def test_several_projects_here_ask_which_once_the_rest_reads():
    with pytest.raises(p.ChooseProject) as asked:
        p.parse("history 5", here=here("CFRAUD"))
    assert asked.value.keys == ["fraud-eu", "fraud-us"]
    assert p.parse("history 5", here=here("CFRAUD", chosen="fraud-us")) == p.History("fraud-us", 5)
    with pytest.raises(p.UsageError, match="missing the threshold"):
        p.parse("monitor add auc min", here=here("CFRAUD"))  # wrong either way: no question


@pytest.mark.parametrize(
    ("text", "channel", "reason"),
    [
        ("status", "CELSEWHERE", "missing the project key"),
        (
            "status <#CFRAUD|fraud>",
            "CELSEWHERE",
            "'#fraud' is the home of several projects (fraud-eu, fraud-us)",
        ),
        (
            "status <#CNONE|random>",
            "CELSEWHERE",
            "'#random' is not the home channel of any project",
        ),
        # In a project's channel too, errors quote what the user saw, never Slack's markup.
        ("status #some-channel", "CCHURN", "'#some-channel' is not the home channel of any"),
        ("status <#CNONE|random>", "CCHURN", "'#random' is not the home channel of any project"),
        ("overseer <!here>", "CCHURN", "'@here' is not a user"),
        ("role assign ds <!channel>", "CCHURN", "'@channel' is not a user"),
    ],
)
def test_no_project_here_or_an_unclear_channel_is_a_usage_error(text, channel, reason):
    with pytest.raises(p.UsageError) as caught:
        p.parse(text, here=here(channel))
    assert caught.value.reason.startswith(reason)
    assert "<" not in caught.value.reason


def test_the_projects_are_looked_up_only_when_a_key_is_read():
    calls: list[str] = []
    p.parse("help", here=here("CCHURN", calls=calls))
    p.parse("signoffs", here=here("CCHURN", calls=calls))
    assert calls == []
    p.parse("monitor add auc min 0.8", here=here("CCHURN", calls=calls))
    assert calls == ["CCHURN"]  # once per command, however often the key is tried


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["CCHURN", "CFRAUD", "CELSEWHERE"]),
    st.lists(
        st.sampled_from(["status", "history", "monitor add", "metric", "auc", "min", "0.8",
                         "churn-model", "fraud-eu", "<#CFRAUD|f>", "<#CCHURN>", "5", "nope",
                         "role assign", "ds", "<@U01>", "lead", "handoff", "deploy"]),
        max_size=6,
    ),
)  # fmt: skip
def test_any_text_anywhere_is_a_command_a_usage_error_or_a_question(channel, words):
    try:
        command = p.parse(" ".join(words), here=here(channel))
    except p.ChooseProject as asked:
        assert channel == "CFRAUD" and asked.keys == ["fraud-eu", "fraud-us"]
    except p.UsageError as e:
        assert e.reason and e.usage and "<#" not in e.reason and "<@" not in e.reason
    else:
        assert isinstance(command, p.Command.__args__)


class CountingHomes:
    """HOMES, noting which of its parts the parser read (every key is the costly one)."""

    def __init__(self) -> None:
        self.read: list[str] = []

    @property
    def keys(self) -> frozenset[str]:
        self.read.append("keys")
        return HOMES.keys

    def homed_in(self, channel_id: str) -> list[str]:
        self.read.append(f"homed_in {channel_id}")
        return HOMES.homed_in(channel_id)

    def has(self, key: str) -> bool:
        self.read.append(f"has {key}")
        return HOMES.has(key)


@pytest.mark.parametrize(
    ("text", "command", "read"),
    [
        # A key that exists is all the parser reads: not the channel's homes (where every
        # project lives in one channel, that was 1,000 keys per command).
        ("status fraud-eu", p.Status("fraud-eu"), ["has fraud-eu"]),
        ("status", p.Status("churn-model"), ["homed_in CCHURN"]),
        # A near-miss is the one case that reads every key, to tell a typo from an argument.
        ("status churn-modle", p.Status("churn-modle"), ["has churn-modle", "homed_in CCHURN", "keys"]),
    ],
)  # fmt: skip
def test_every_key_is_read_only_for_a_near_miss(text, command, read):
    homes = CountingHomes()
    assert p.parse(text, here=p.Here("CCHURN", lambda: homes)) == command
    assert homes.read == read
