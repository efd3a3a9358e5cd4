"""The digest's approvals part: lead times per transition and what was approved anew, in
one query whose durations the database computes."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import ColumnElement, String, case, false, func, select, type_coerce
from sqlalchemy.orm import Session

from models.enums import HandoffStatus, Stage
from models.handoff import Handoff
from models.project import Project
from models.schemas.digest import ApprovedLine, LeadTime

if TYPE_CHECKING:
    from models.services.digest import _Scope

LEAD_TIME_WINDOW = timedelta(days=90)
LIFECYCLE = (Stage.MANAGE, Stage.DEVELOP, Stage.DEPLOY, Stage.MONITOR)


def _seconds_taken(s: Session) -> ColumnElement[float]:
    """Request to approval in seconds, computed by the database: the lead times of 100,000
    hand-offs are then numbers to sort, not 200,000 timestamps to parse."""
    if s.get_bind().dialect.name == "sqlite":
        days = func.julianday(Handoff.closed_at) - func.julianday(Handoff.requested_at)
        return days * 86400.0
    return func.extract("epoch", Handoff.closed_at - Handoff.requested_at)


def lead_times_in(s: Session, scope: _Scope, now: datetime) -> list[LeadTime]:
    """Request-to-approval hours per transition over the last 90 days (one query)."""
    return approvals(s, scope, now, None)[0]


def approvals(
    s: Session, scope: _Scope, now: datetime, since: datetime | None
) -> tuple[list[LeadTime], list[ApprovedLine]]:
    """Lead times over the window and the approvals since the last digest, in one query: the
    key and time of approval come back only for the new ones (NULL, unparsed, for the rest)."""
    window = now - LEAD_TIME_WINDOW
    new = Handoff.closed_at > since if since is not None else false()
    rows = s.execute(
        select(  # stages as stored: a handful of pairs to convert, not 90,000 rows
            type_coerce(Handoff.from_stage, String),
            type_coerce(Handoff.to_stage, String),
            _seconds_taken(s),
            case((Handoff.closed_at >= window, True), else_=False),
            case((new, Project.key)),
            case((new, Handoff.closed_at)),
        )
        .join(Project, Project.id == Handoff.project_id)
        .where(
            *scope.projects(),
            Handoff.team_id == scope.team_id,
            Handoff.status == HandoffStatus.APPROVED,
            Handoff.closed_at >= (min(window, since) if since is not None else window),
            Handoff.closed_at <= now,
        )
    )
    durations: dict[tuple[str, str], list[float]] = defaultdict(list)
    approved: list[tuple[datetime, str, str, str, float]] = []
    for from_stage, to_stage, seconds, in_window, key, closed_at in rows:
        # to the microsecond, as timedelta keeps it: julianday's float is off by nanoseconds
        hours = round(float(seconds), 6) / 3600
        if in_window:
            durations[(from_stage, to_stage)].append(hours)
        if closed_at is not None:
            approved.append((closed_at, key, from_stage, to_stage, hours))
    return _lead_times(durations), [
        ApprovedLine.model_construct(
            project_key=key,
            transition=transition(Stage(a), Stage(b)),
            approved_at=closed_at,
            hours=round(hours, 2),
        )
        for closed_at, key, a, b, hours in sorted(approved)
    ]


def _lead_times(durations: dict[tuple[str, str], list[float]]) -> list[LeadTime]:
    pairs = {(Stage(a), Stage(b)): hours for (a, b), hours in durations.items()}
    order = sorted(pairs, key=lambda pair: (LIFECYCLE.index(pair[0]), LIFECYCLE.index(pair[1])))
    return [_lead_time(pair, sorted(pairs[pair])) for pair in order]


@cache  # a handful of stage pairs, asked for once per line of a digest
def transition(from_stage: Stage, to_stage: Stage) -> str:
    return f"{Stage(from_stage).value} → {Stage(to_stage).value}"


def _lead_time(pair: tuple[Stage, Stage], hours: list[float]) -> LeadTime:
    return LeadTime(
        transition=transition(*pair),
        count=len(hours),
        median_hours=round(percentile(hours, 0.5), 2),
        p90_hours=round(percentile(hours, 0.9), 2),
    )


def percentile(ordered: Sequence[float], q: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default, Excel's PERCENTILE.INC):
    it uses every sample, so small counts still move smoothly; the median is the usual one."""
    if not ordered:
        raise ValueError("no values")
    position = (len(ordered) - 1) * q
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
