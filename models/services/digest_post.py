"""Posting a digest: the one call the scheduler, `baton digest` and `/mlops digest now` make.

A digest covers a channel's own projects, or one project wherever it is posted. "New" is
counted from when that channel's scheduled digest last went out, whoever asks. The digest is
stored as a snapshot in its outbox row (`digest.post`), so what Slack shows is what was true
when it was queued, even if delivery is retried later.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from models.notifications import DigestPost
from models.policy import Policy
from models.services import outbox, schedules, workspaces
from models.services.common import get_project
from models.services.digest import build_digest


@dataclass(frozen=True)
class DigestTarget:
    """Where a digest goes and what it covers."""

    team_id: str
    channel_id: str
    project_key: str | None = None  # None: the channel's own projects


def post_digest(
    s: Session, target: DigestTarget, now: datetime, policy: Policy, *, scheduled: bool = False
) -> int:
    """Queue the digest for `target` and return its outbox row id; `policy` names the roles
    each project's next hand-off requires (the digest's roster gaps).

    Asked for (`scheduled=False`), it always shows the current state; a scheduled digest with
    nothing to report shrinks to one line saying since when nothing changed."""
    key, channel = target.project_key, target.channel_id
    since = None if key else schedules.last_sent(s, target.team_id, channel)
    view = build_digest(
        s,
        target.team_id,
        now,
        policy=policy,
        channel_id=None if key else channel,
        project_key=key,
        since=since,
    ).model_copy(update={"scheduled": scheduled})
    row = outbox.to_channel(s, target.team_id, channel, DigestPost(digest=view))
    s.flush()  # the id, for callers that deliver at once
    return row.id


def digest_targets(
    s: Session, team: str | None = None, channel: str | None = None, key: str | None = None
) -> list[DigestTarget]:
    """One project's digest (into its home channel or `channel`), one channel's, or every home
    channel's with live projects (of one workspace or all)."""
    if key is not None:
        team = team or workspaces.only_team_with(s, key)
        return [DigestTarget(team, channel or get_project(s, team, key).channel_id, key)]
    if channel is not None:
        return [DigestTarget(workspaces.team_of_channel(s, channel, team), channel)]
    return [DigestTarget(t, c) for t, c in schedules.home_channels(s, team)]
