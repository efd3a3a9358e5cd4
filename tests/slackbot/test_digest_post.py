"""The digest job, end to end: queued in the outbox, delivered to the project's home channel."""

from __future__ import annotations

from models.base import utcnow
from models.enums import OutboxStatus
from models.outbox import OutboxMessage
from models.policy import DEFAULT_POLICY
from models.services.digest_post import DigestTarget, post_digest
from tests.slackbot.flow import PACKETS, request_handoff, text_of
from tests.slackbot.harness import HOME


def test_digest_reaches_the_home_channel_naming_who_blocks_the_handoff(bot, slack, db, seeded):
    request_handoff(bot, seeded.ds, seeded.key, PACKETS["develop"])

    with db.session() as s:
        row_id = post_digest(s, DigestTarget(HOME, seeded.channel), utcnow(), DEFAULT_POLICY)
    assert bot.deliver() == 1

    digest = slack.last_message(seeded.channel)
    said = text_of(digest)
    assert "Baton digest" in said and "*Open hand-offs (1)*" in said
    assert f"`{seeded.key}` manage → develop" in said
    assert f"*Domain expert / business translator* (<@{seeded.domain}>)" in said
    assert f"*ML architect* (<@{seeded.architect}>)" in said
    assert "*Manage* (1): `churn-model` Churn model" in said
    with db.session() as s:
        row = s.get(OutboxMessage, row_id)
        assert (row.topic, row.channel_id, row.status) == (
            "digest.post",
            seeded.channel,
            OutboxStatus.SENT,
        )
