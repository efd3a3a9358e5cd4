"""Names of people, from the cache of Slack's users.info (bot/names.py fills it)."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.base import utcnow
from models.people import SlackUser


def names(s: Session, team_id: str, user_ids: Iterable[str]) -> dict[str, str]:
    """Known names by user id; ids never looked up are missing (callers show the id)."""
    wanted = {u for u in user_ids if u}
    if not wanted:
        return {}
    rows = s.scalars(
        select(SlackUser).where(SlackUser.team_id == team_id, SlackUser.user_id.in_(wanted))
    )
    return {r.user_id: r.name for r in rows}


def unknown(s: Session, team_id: str, user_ids: Iterable[str]) -> list[str]:
    wanted = {u for u in user_ids if u}
    return sorted(wanted - set(names(s, team_id, wanted)))


def remember(s: Session, team_id: str, user_id: str, name: str, *, tz: str | None = None) -> None:
    row = s.scalars(
        select(SlackUser).where(SlackUser.team_id == team_id, SlackUser.user_id == user_id)
    ).one_or_none()
    if row is None:
        s.add(SlackUser(team_id=team_id, user_id=user_id, name=name[:200], tz=tz))
    else:
        row.name, row.fetched_at = name[:200], utcnow()
        row.tz = tz or row.tz


def time_zones(s: Session, team_id: str, user_ids: Iterable[str]) -> dict[str, str]:
    """Cached Slack zones by user id; people never looked up are missing."""
    wanted = {u for u in user_ids if u}
    if not wanted:
        return {}
    rows = s.execute(
        select(SlackUser.user_id, SlackUser.tz).where(
            SlackUser.team_id == team_id, SlackUser.user_id.in_(wanted), SlackUser.tz.is_not(None)
        )
    )
    return {user: tz for user, tz in rows}
