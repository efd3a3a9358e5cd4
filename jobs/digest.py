"""Digest job: build a channel's digest and queue it for delivery as one outbox row.

The digest is stored as a snapshot in the row (`digest.post`), so what Slack shows is what was
true when the job ran, even if delivery is retried later. Scheduling lives elsewhere: this module
only builds and queues.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from jobs.context import JobContext
from models.enums import Stage
from models.notifications import DigestPost
from models.project import Project
from models.schedule import DigestSchedule
from models.services import outbox
from models.services.digest import build_digest


def post_digest(
    s: Session,
    ctx: JobContext,
    team_id: str,
    channel_id: str,
    now: datetime,
    *,
    project_key: str | None = None,
    since: datetime | None = None,
) -> int:
    """Queue the digest for `channel_id` and return its outbox row id.

    With a project key the digest covers that project wherever it is posted (`digest now <key>`
    may be typed in any channel); without one it covers the channel's own projects.
    """
    view = build_digest(
        s,
        team_id,
        now,
        channel_id=None if project_key else channel_id,
        project_key=project_key,
        since=since,
    )
    row = outbox.to_channel(s, team_id, channel_id, DigestPost(digest=view))
    s.flush()
    return row.id


def run(ctx: JobContext, now: datetime) -> int:
    """A digest for every home channel with live projects, in every workspace (`baton digest`).

    One transaction per channel, so a large install never holds one long transaction. Returns
    how many digests were queued.
    """
    with ctx.session() as s:
        channels = _home_channels(s)
        last_sent = _last_sent(s)
    for team_id, channel_id in channels:
        with ctx.session() as s:
            since = last_sent.get((team_id, channel_id))
            post_digest(s, ctx, team_id, channel_id, now, since=since)
    return len(channels)


def _home_channels(s: Session) -> list[tuple[str, str]]:
    rows = s.execute(
        select(Project.team_id, Project.channel_id)
        .where(Project.stage != Stage.ARCHIVED)
        .distinct()
        .order_by(Project.team_id, Project.channel_id)
    )
    return [(team, channel) for team, channel in rows]


def _last_sent(s: Session) -> dict[tuple[str, str], datetime]:
    """When each scheduled channel last had its digest: "new" is counted from there."""
    rows = s.execute(
        select(
            DigestSchedule.team_id, DigestSchedule.channel_id, DigestSchedule.last_sent_at
        ).where(DigestSchedule.last_sent_at.is_not(None))
    )
    return {(team, channel): sent for team, channel, sent in rows}
