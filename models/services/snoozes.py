"""Snoozing a sign-off reminder, and who may be reached when: the rules reminders follow.

A signer snoozes one hand-off's round (1 h, 4 h, or until 09:00 tomorrow in their zone). While
it runs no reminder reaches them; when it ends they get one more. Reminders and escalations
reach a person only inside their working hours, in their cached Slack zone.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.enums import HandoffStatus
from models.errors import DomainError, PermissionDenied
from models.handoff import SignoffSnooze
from models.notifications import ReminderSnoozed, SnoozeNote
from models.policy import Policy
from models.project import Project
from models.schemas.base import Actor
from models.services import audit, outbox, people
from models.services.absences import away_of
from models.services.handoff_queries import get_handoff, handoff_view
from models.working_hours import WorkingHours, tomorrow_at_nine

CHOICES = ("1h", "4h", "tomorrow")
REASON_MAX = 300


def snooze(
    s: Session,
    actor: Actor,
    handoff_id: int,
    choice: str,
    policy: Policy,
    now: datetime,
    *,
    default_zone: str = "UTC",
    reason: str | None = None,
    shown_in: tuple[str, str] | None = None,
) -> datetime:
    """Snooze the actor's reminders for this hand-off's round; returns until when.
    `shown_in`: the (channel, ts) of the reminder it was asked from, edited to say so."""
    if choice not in CHOICES:
        raise DomainError(f"Snooze for 1h, 4h or until tomorrow, not '{choice}'.")
    handoff = get_handoff(s, actor.team_id, handoff_id, lock=True)
    view = handoff_view(s, handoff, policy)
    if handoff.status != HandoffStatus.PENDING:
        raise DomainError("This hand-off no longer waits on anyone: nothing to snooze.")
    if not any(line.signer == actor.user_id for line in view.waiting_on):
        raise PermissionDenied("Only someone this hand-off waits on can snooze its reminders.")
    zone = people.time_zones(s, actor.team_id, [actor.user_id]).get(actor.user_id, default_zone)
    until = _until(choice, now, zone)
    text = (reason or "").strip()[:REASON_MAX] or None
    s.add(
        SignoffSnooze(
            team_id=actor.team_id,
            handoff_id=handoff.id,
            round=handoff.round,
            user_id=actor.user_id,
            until=until,
            reason=text,
            created_at=now,
        )
    )
    project = s.get(Project, handoff.project_id)
    audit.record(
        s,
        actor,
        "signoff.snoozed",
        project,
        handoff_id=handoff.id,
        round=handoff.round,
        until=until.strftime("%Y-%m-%d %H:%M UTC"),
        reason=text,
    )
    if shown_in is not None:
        channel, ts = shown_in
        note = ReminderSnoozed(
            project_id=handoff.project_id, handoff_id=handoff.id, user=actor.user_id, ts=ts
        )
        outbox.to_channel(s, actor.team_id, channel, note)
    return until


def latest_snooze(
    s: Session, team_id: str, handoff_id: int, round_: int, user_id: str
) -> SnoozeNote | None:
    """The person's last snooze of this round (what their reminder DM shows), or None."""
    row = s.scalars(
        select(SignoffSnooze)
        .where(
            SignoffSnooze.team_id == team_id,
            SignoffSnooze.handoff_id == handoff_id,
            SignoffSnooze.round == round_,
            SignoffSnooze.user_id == user_id,
        )
        .order_by(SignoffSnooze.id.desc())
    ).first()
    return None if row is None else SnoozeNote(user=row.user_id, until=row.until, reason=row.reason)


def _until(choice: str, now: datetime, zone: str) -> datetime:
    if choice == "1h":
        return now + timedelta(hours=1)
    if choice == "4h":
        return now + timedelta(hours=4)
    return tomorrow_at_nine(now, zone)


@dataclass(frozen=True)
class Reach:
    """Whom a reminder may reach at `now`: inside their hours, not snoozed."""

    now: datetime
    hours: WorkingHours
    zones: dict[tuple[str, str], str]
    default_zone: str
    snoozes: dict[tuple[int, int], list[SignoffSnooze]] = field(default_factory=dict)
    away: dict[str, dict[str, str | None]] = field(default_factory=dict)  # by workspace

    def awake(self, team_id: str, user: str) -> bool:
        return self.hours.is_open(self.now, self.zones.get((team_id, user), self.default_zone))

    def snoozed(self, handoff_id: int, round_: int, user: str) -> bool:
        return any(z.user_id == user and z.until > self.now for z in self.of(handoff_id, round_))

    def ended(self, handoff_id: int, round_: int, user: str) -> list[SignoffSnooze]:
        """Snoozes of this person that ran out: each owes one more reminder."""
        return [z for z in self.of(handoff_id, round_) if z.user_id == user and z.until <= self.now]

    def of(self, handoff_id: int, round_: int) -> list[SignoffSnooze]:
        return self.snoozes.get((handoff_id, round_), [])


def reach(
    s: Session,
    now: datetime,
    hours: WorkingHours,
    default_zone: str,
    handoff_ids: list[int],
    people_by_team: dict[str, set[str]],
) -> Reach:
    zones: dict[tuple[str, str], str] = {}
    for team, users in people_by_team.items():
        zones.update({(team, u): z for u, z in people.time_zones(s, team, users).items()})
    snoozes: dict[tuple[int, int], list[SignoffSnooze]] = defaultdict(list)
    if handoff_ids:
        rows = s.scalars(
            select(SignoffSnooze)
            .where(SignoffSnooze.handoff_id.in_(handoff_ids))
            .order_by(SignoffSnooze.id)
        )
        for z in rows:
            snoozes[(z.handoff_id, z.round)].append(z)
    away = {team: away_of(s, team, now) for team in people_by_team}
    return Reach(now, hours, zones, default_zone, dict(snoozes), away)


def people_without_zone(s: Session, team_id: str, users: Iterable[str]) -> list[str]:
    known = people.time_zones(s, team_id, users)
    return sorted({u for u in users if u} - set(known))
