"""Away and back: while someone is away, each sign-off they would owe goes to their delegate
(or, without one, to the project's ML architect lead); pending ones are re-routed when the
absence starts and handed back when it ends. Who signs is worked out in models/signers.py.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Row, and_, bindparam, select, update
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from models.enums import HandoffStatus, Role
from models.errors import DomainError
from models.handoff import Handoff
from models.notifications import HandoffUpdated, SignoffRequested, StandInEnded, WelcomeBack
from models.people import Absence, SlackUser
from models.policy import Policy
from models.project import Project
from models.schemas.base import Actor
from models.schemas.people import AbsenceView
from models.services import audit, outbox, people
from models.services.common import leads_by_project
from models.services.policy_history import rules_in_force
from models.signers import Away, signers
from models.working_hours import zone_named

REASON_MAX = 300


def ends_at(until: date, zone: str | None) -> datetime:
    """An absence "until 2026-12-20" lasts through that day where its person is: it ends when
    2026-12-21 begins in their Slack zone (slack_users.tz), or in UTC when Slack named none."""
    local = zone_named(zone)
    return datetime.combine(until + timedelta(days=1), time(0), local).astimezone(UTC)


# Absences nobody ended and not long past (zones are within a day of UTC), with their
# person's cached zone: composed once, its values bound per call.
_AWAY = (
    select(Absence.user_id, Absence.delegate, Absence.until, SlackUser.tz)
    .outerjoin(
        SlackUser,
        and_(SlackUser.team_id == Absence.team_id, SlackUser.user_id == Absence.user_id),
    )
    .where(
        Absence.team_id == bindparam("team_id"),
        Absence.ended_at.is_(None),
        Absence.until >= bindparam("from_day"),
    )
    .order_by(Absence.id)
)


def away_of(s: Session, team_id: str, now: datetime) -> dict[str, str | None]:
    """Who is away now in this workspace, and their delegate (the session's pending changes
    flushed first, as any ORM query)."""
    return _away(s.execute(_AWAY, _away_params(team_id, now)), now)


def away_on(conn: Connection, team_id: str, now: datetime) -> dict[str, str | None]:
    """`away_of` as Core rows on a connection, for a read path that has no pending changes."""
    return _away(conn.execute(_AWAY, _away_params(team_id, now)), now)


def _away_params(team_id: str, now: datetime) -> dict[str, Any]:
    return {"team_id": team_id, "from_day": (now - timedelta(days=1)).date()}


def _away(rows: Iterable[Row[Any]], now: datetime) -> dict[str, str | None]:
    return {row.user_id: row.delegate for row in rows if now < ends_at(row.until, row.tz)}


def current_absence(s: Session, team_id: str, user_id: str, now: datetime) -> AbsenceView | None:
    """The person's absence running now, as App Home and its Away modal show it."""
    row = s.scalars(
        select(Absence)
        .where(
            Absence.team_id == team_id,
            Absence.user_id == user_id,
            Absence.ended_at.is_(None),
            Absence.until >= now.date(),
        )
        .order_by(Absence.id.desc())
    ).first()
    return (
        None
        if row is None
        else AbsenceView(until=row.until, delegate=row.delegate, reason=row.reason)
    )


def go_away(
    s: Session,
    actor: Actor,
    until: date,
    delegate: str | None,
    reason: str | None,
    now: datetime,
    policy: Policy,
) -> list[int]:
    """Start (or replace) the actor's absence; returns the hand-offs re-routed."""
    if ends_at(until, _zone_of(s, actor)) <= now:
        raise DomainError(f"{until.isoformat()} has passed: say until when you will be away.")
    if delegate == actor.user_id:
        raise DomainError("Name someone else as your delegate, or nobody.")
    before = _chart(s, actor.team_id, now, policy)
    for row in _open_of(s, actor):
        row.ended_at = now
    text = (reason or "").strip()[:REASON_MAX] or None
    s.add(
        Absence(
            team_id=actor.team_id,
            user_id=actor.user_id,
            until=until,
            delegate=delegate,
            reason=text,
            started_at=now,
        )
    )
    s.flush()
    audit.record(
        s,
        actor,
        "absence.started",
        None,
        until=until.isoformat(),
        user=delegate or "",
        reason=text,
    )
    outbox.refresh_home(s, actor.team_id, actor.user_id)  # App Home shows the absence
    return _reroute(s, actor.team_id, before, _chart(s, actor.team_id, now, policy))


def come_back(s: Session, actor: Actor, now: datetime, policy: Policy) -> list[int]:
    """End the actor's absence; their pending sign-offs come back to them."""
    ending = _open_of(s, actor)
    if not ending:
        raise DomainError("You are not away, so there is nothing to come back from.")
    return _hand_back(s, actor.team_id, ending, now, policy, by=actor)[1]


def end_expired(s: Session, policy: Policy, now: datetime) -> int:
    """End every absence whose last day is over where its person is, handing their sign-offs
    back exactly as `back` does; returns how many absences ended."""
    ended = 0
    teams = s.scalars(
        select(Absence.team_id)
        .where(Absence.ended_at.is_(None), Absence.until <= now.date())
        .distinct()
        .order_by(Absence.team_id)
    ).all()
    for team_id in teams:
        # every one over, however long ago: a scheduler down for days still hands them back
        ending = [a for a, zone in _open(s, team_id) if ends_at(a.until, zone) <= now]
        if ending:
            ended += len(_hand_back(s, team_id, ending, now, policy, by=None)[0])
    return ended


def without_zone(s: Session, now: datetime) -> dict[str, list[str]]:
    """People away whose Slack zone is not cached yet, by workspace: the job asks Slack first."""
    rows = s.execute(
        select(Absence.team_id, Absence.user_id)
        .outerjoin(SlackUser, _person_of_absence())
        .where(Absence.ended_at.is_(None), Absence.until <= now.date(), SlackUser.tz.is_(None))
        .distinct()
    )
    found: dict[str, list[str]] = {}
    for team_id, user_id in rows:
        found.setdefault(team_id, []).append(user_id)
    return {team: sorted(users) for team, users in found.items()}


def _hand_back(
    s: Session, team_id: str, ending: list[Absence], now: datetime, policy: Policy, by: Actor | None
) -> tuple[list[Absence], list[int]]:
    """End these absences (each once, however many replicas try) and re-route: the returning
    person hears which sign-offs are theirs again, each stand-in that they no longer sign.
    Returns the absences this call ended and the hand-offs re-routed."""
    away = away_of(s, team_id, now) | {a.user_id: a.delegate for a in ending}
    before = _chart(s, team_id, now, policy, away)
    ended = [a for a in ending if _end_once(s, a, now)]
    if not ended:
        return [], []
    after = _chart(s, team_id, now, policy)
    for absence in {a.user_id: a for a in ended}.values():  # one welcome each, however many rows
        actor = by or Actor.system(team_id)
        detail = {} if by else {"user": absence.user_id, "until": absence.until.isoformat()}
        audit.record(s, actor, "absence.ended", None, **detail)
        _tell_the_return(s, team_id, absence, before, after)
        outbox.refresh_home(s, team_id, absence.user_id)  # App Home drops the away line
    return ended, _reroute(s, team_id, before, after)


def _end_once(s: Session, absence: Absence, now: datetime) -> bool:
    done = s.execute(
        update(Absence)
        .where(Absence.id == absence.id, Absence.ended_at.is_(None))
        .values(ended_at=now)
        .execution_options(synchronize_session=False)
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        return False  # `back`, or another replica, ended it first
    set_committed_value(absence, "ended_at", now)  # written already: no second UPDATE
    return True


def _tell_the_return(
    s: Session, team_id: str, absence: Absence, before: Chart, after: Chart
) -> None:
    """Queued before the cards: the welcome names what is theirs again, then each card comes."""
    person = absence.user_id
    mine: list[int] = []
    released: dict[str, list[int]] = {}
    for handoff_id, (_, _, signing) in sorted(after.items()):
        earlier = before.get(handoff_id, (0, "", {}))[2]
        roles = [r for r, u in signing.items() if u == person and earlier.get(r) != person]
        if not roles:
            continue
        mine.append(handoff_id)
        for stand_in in sorted({earlier[r] for r in roles if earlier.get(r)} - {person}):
            released.setdefault(stand_in, []).append(handoff_id)
    outbox.to_user(s, team_id, person, WelcomeBack(until=absence.until, handoff_ids=mine))
    for stand_in, ids in released.items():
        outbox.to_user(s, team_id, stand_in, StandInEnded(lead=person, handoff_ids=ids))


def _open(s: Session, team_id: str) -> list[tuple[Absence, str | None]]:
    """Absences nobody ended, with their person's cached zone."""
    query = (
        select(Absence, SlackUser.tz)
        .outerjoin(SlackUser, _person_of_absence())
        .where(Absence.team_id == team_id, Absence.ended_at.is_(None))
        .order_by(Absence.id)
    )
    return [(a, zone) for a, zone in s.execute(query)]


def _person_of_absence() -> ColumnElement[bool]:
    return and_(SlackUser.team_id == Absence.team_id, SlackUser.user_id == Absence.user_id)


def _open_of(s: Session, actor: Actor) -> list[Absence]:
    return list(
        s.scalars(
            select(Absence)
            .where(
                Absence.team_id == actor.team_id,
                Absence.user_id == actor.user_id,
                Absence.ended_at.is_(None),
            )
            .order_by(Absence.id)
        )
    )


def _zone_of(s: Session, actor: Actor) -> str | None:
    return people.time_zones(s, actor.team_id, [actor.user_id]).get(actor.user_id)


# hand-off id -> (project id, channel, who signs each pending role: None for an admin only)
Chart = dict[int, tuple[int, str, dict[Role, str | None]]]


def _chart(
    s: Session, team_id: str, now: datetime, policy: Policy, away: Away | None = None
) -> Chart:
    """Who signs the pending roles of every pending hand-off of the workspace, right now
    (`away`: who is away, when the caller knows better than the absences as they stand)."""
    away = away_of(s, team_id, now) if away is None else away
    pending_now = _pending_handoffs(s, team_id)
    leads: dict[int, dict[Role, str]] = defaultdict(dict)  # one query for every project's leads
    for (project_id, role), user in leads_by_project(
        s, team_id, {p.id for _, p in pending_now}
    ).items():
        leads[project_id][role] = user
    chart: Chart = {}
    for h, p in pending_now:
        rules = rules_in_force(h, policy)
        lines = signers(h.required, leads[p.id], h.requested_by, rules, away)
        pending = set(h.pending_roles())
        chart[h.id] = (p.id, p.channel_id, {sg.role: sg.user for sg in lines if sg.role in pending})
    return chart


def _reroute(s: Session, team_id: str, before: Chart, after: Chart) -> list[int]:
    """DM each new signer the card; every copy of a changed card shows its new signers."""
    moved = []
    for handoff_id, (project_id, channel, signing) in after.items():
        now_signing = {u for u in signing.values() if u}
        earlier = {u for u in before.get(handoff_id, (0, "", {}))[2].values() if u}
        if now_signing == earlier:
            continue
        moved.append(handoff_id)
        ids = {"project_id": project_id, "handoff_id": handoff_id}
        for user in sorted(now_signing - earlier):
            outbox.to_user(s, team_id, user, SignoffRequested(**ids))
        outbox.to_channel(s, team_id, channel, HandoffUpdated(**ids))
        outbox.refresh_home(s, team_id, *sorted(now_signing ^ earlier))  # gained or lost it
        handoff = s.get(Handoff, handoff_id)
        if handoff is not None:
            handoff.version += 1
    return moved


def _pending_handoffs(s: Session, team_id: str) -> list[tuple[Handoff, Project]]:
    rows = s.execute(
        select(Handoff, Project)
        .join(Project, Project.id == Handoff.project_id)
        .where(Handoff.team_id == team_id, Handoff.status == HandoffStatus.PENDING)
        .options(selectinload(Handoff.signoffs))  # pending_roles reads them: not one by one
    )
    return [(h, p) for h, p in rows]
