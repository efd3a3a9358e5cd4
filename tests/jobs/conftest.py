from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.fakeslack import FakeSlack


@pytest.fixture
def slack_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeSlack]:
    """The loopback Slack fake, named in the environment as an operator names Slack: a
    scheduler built from the environment looks people up there (users.info), never at
    slack.com, whose unanswered lookups cost seconds of retries each."""
    with FakeSlack() as slack:
        monkeypatch.setenv("SLACK_API_URL", slack.base_url)
        monkeypatch.setenv("SLACK_BOT_TOKEN", slack.token)
        yield slack
