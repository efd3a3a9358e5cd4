"""Checking the audit chain: recompute every link and name the first event that does not fit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.audit import AuditChainHead, AuditEvent

CHANGED = "content changed (its hash no longer matches what it says)"
UNHASHED = "inserted outside Baton (it has no hash)"
MISSING = "previous event missing (it links to an event that is no longer there)"
INSERTED = "inserted outside Baton (the next event links past it)"
TAIL_MISSING = "the newest events were removed"
TAIL_INSERTED = "inserted outside Baton after the recorded chain head"
_PREVIOUS_INSERTED = "previous"


@dataclass(frozen=True)
class Break:
    event_id: int | None
    at: datetime | None
    action: str | None
    actor: str | None
    problem: str


@dataclass(frozen=True)
class ChainCheck:
    team_id: str
    events: int
    head_hash: str | None
    head_at: datetime | None
    broken: Break | None = None

    @property
    def ok(self) -> bool:
        return self.broken is None


def teams(s: Session) -> list[str]:
    rows = s.scalars(select(AuditEvent.team_id).distinct()).all()
    heads = s.scalars(select(AuditChainHead.team_id)).all()
    return sorted(set(rows) | set(heads))


def verify(s: Session, team_id: str) -> ChainCheck:
    """Walk the workspace's events in chain order; the first link that fails is the answer."""
    # Read the head first and hold writers off it (PostgreSQL) until this check ends, so the
    # events read next are exactly those up to that head.
    head = s.scalars(
        select(AuditChainHead).where(AuditChainHead.team_id == team_id).with_for_update(read=True)
    ).one_or_none()
    events = s.scalars(
        select(AuditEvent)
        .where(AuditEvent.team_id == team_id)
        .order_by(AuditEvent.seq.is_(None), AuditEvent.seq, AuditEvent.id)
    ).all()
    expected: str | None = None
    before_previous: str | None = None
    for i, e in enumerate(events):
        if head is not None and i > 0 and events[i - 1].hash == head.head_hash:
            return _failed(team_id, i, e, TAIL_INSERTED)
        following = events[i + 1] if i + 1 < len(events) else None
        problem = _link_problem(e, expected, before_previous, following)
        if problem == _PREVIOUS_INSERTED:
            return _failed(team_id, i - 1, events[i - 1], INSERTED)
        if problem is not None:
            return _failed(team_id, i, e, problem)
        before_previous, expected = expected, e.hash
    last = events[-1] if events else None
    if head is not None and head.head_hash != expected:
        said = f" (the chain head names event #{head.head_event_id} of {head.events})"
        return _failed(team_id, len(events), last, TAIL_MISSING + said)
    return ChainCheck(team_id, len(events), expected, last.created_at if last else None)


def _link_problem(
    e: AuditEvent, expected: str | None, before_previous: str | None, following: AuditEvent | None
) -> str | None:
    skipped = following is not None and (following.prev_hash or None) == expected
    if not e.hash:
        return UNHASHED
    recomputed = e.chain_hash(e.prev_hash)
    if recomputed != e.hash:
        return INSERTED if skipped else CHANGED  # the next event links past it: never in chain
    if (e.prev_hash or None) == expected:
        return None
    if expected is not None and (e.prev_hash or None) == before_previous:
        return _PREVIOUS_INSERTED  # the previous event is the stranger
    return MISSING


def _failed(team_id: str, counted: int, e: AuditEvent | None, problem: str) -> ChainCheck:
    broken = Break(
        e.id if e else None,
        e.created_at if e else None,
        e.action if e else None,
        e.actor if e else None,
        problem,
    )
    return ChainCheck(team_id, counted, None, None, broken)


def anchor(s: Session, team_id: str) -> AuditChainHead | None:
    return s.get(AuditChainHead, team_id)
