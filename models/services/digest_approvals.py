"""The digest's approvals part: lead times per transition and what was approved anew, in
one query whose durations the database computes (and, on PostgreSQL, ranks)."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from functools import cache, partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    and_,
    bindparam,
    case,
    false,
    func,
    null,
    or_,
    select,
    type_coerce,
)
from sqlalchemy.orm import Session

from models.enums import HandoffStatus, Stage
from models.handoff import Handoff
from models.project import Project
from models.schemas.digest import ApprovedLine, LeadTime

if TYPE_CHECKING:
    from models.services.digest import _Scope

LEAD_TIME_WINDOW = timedelta(days=90)
LIFECYCLE = (Stage.MANAGE, Stage.DEVELOP, Stage.DEPLOY, Stage.MONITOR)


def _seconds_taken(dialect: str) -> ColumnElement[float]:
    """Request to approval in seconds, computed by the database: the lead times of 100,000
    hand-offs are then numbers to sort, not 200,000 timestamps to parse."""
    if dialect == "sqlite":
        days = func.julianday(Handoff.closed_at) - func.julianday(Handoff.requested_at)
        return days * 86400.0
    return func.extract("epoch", Handoff.closed_at - Handoff.requested_at)


def lead_times_in(s: Session, scope: _Scope, now: datetime) -> list[LeadTime]:
    """Request-to-approval hours per transition over the last 90 days (one query)."""
    return approvals(s, scope, now, None)[0]


def project_lead_times(
    conn: Connection, team_id: str, project_id: int, now: datetime
) -> list[LeadTime]:
    """`lead_times_in` for one live project (the status card), by a select composed once,
    on the connection of the caller's session."""
    params = {
        "team_id": team_id,
        "project_id": project_id,
        "window": now - LEAD_TIME_WINDOW,
        "now": now,
    }
    rows = conn.execute(_project_select(conn.dialect.name), params)
    return _read(rows)[0]


@cache  # one per dialect: what the card runs, its values bound per call
def _project_select(dialect: str) -> Select[Any]:
    window = bindparam("window", type_=Handoff.closed_at.type)
    stmt = _approvals_select(
        dialect,
        window,
        new=false(),
        where=(
            Handoff.team_id == bindparam("team_id"),
            Handoff.project_id == bindparam("project_id"),
            Handoff.status == HandoffStatus.APPROVED,
            Handoff.closed_at >= window,
            Handoff.closed_at <= bindparam("now", type_=Handoff.closed_at.type),
        ),
        join_projects=False,  # the card read its project, and only a live one asks
    )
    return stmt


def approvals(
    s: Session, scope: _Scope, now: datetime, since: datetime | None
) -> tuple[list[LeadTime], list[Callable[[], ApprovedLine]]]:
    """Lead times over the window and the approvals since the last digest, in one query (each
    approval's line made when called: the digest makes only those it keeps).

    PostgreSQL ranks each transition's durations (a window function) and sends back only the
    ranks the median and the 90th percentile interpolate between, with the count: a handful
    of rows, not 90,000 durations. SQLite, whose window sort costs twice what Python's sort of
    the same floats does, sends every duration. The approvals since the last digest come back
    whole either way: their key, time and own lead time."""
    window = now - LEAD_TIME_WINDOW
    approved_in_scope = (
        *scope.projects(),
        Handoff.team_id == scope.team_id,
        Handoff.status == HandoffStatus.APPROVED,
        Handoff.closed_at >= (min(window, since) if since is not None else window),
        Handoff.closed_at <= now,
    )
    new = Handoff.closed_at > since if since is not None else false()
    stmt = _approvals_select(s.get_bind().dialect.name, window, new, approved_in_scope)
    return _read(s.connection().execute(stmt))


def _approvals_select(
    dialect: str,
    window: Any,
    new: ColumnElement[bool],
    where: Sequence[ColumnElement[bool]],
    *,
    join_projects: bool = True,
) -> Select[Any]:
    seconds = _seconds_taken(dialect)
    in_window = case((Handoff.closed_at >= window, True), else_=False)
    columns = [  # stages as stored: a handful of pairs to convert, not 90,000 rows
        type_coerce(Handoff.from_stage, String).label("a"),
        type_coerce(Handoff.to_stage, String).label("b"),
        seconds.label("seconds"),
        in_window.label("in_window"),
        case((new, Project.key)).label("key") if join_projects else null().label("key"),
        case((new, Handoff.closed_at)).label("closed_at"),
    ]
    ranks_in_database = dialect != "sqlite"
    if not ranks_in_database:
        ranking = [null(), null()]
    else:
        pair = (Handoff.from_stage, Handoff.to_stage, in_window)
        ranking = [
            func.row_number().over(partition_by=pair, order_by=seconds).label("rank"),
            func.count().over(partition_by=pair).label("n"),
        ]
    stmt = select(*columns, *ranking)
    if join_projects:
        stmt = stmt.join(Project, Project.id == Handoff.project_id)
    else:
        stmt = stmt.select_from(Handoff)
    stmt = stmt.where(*where)
    return _ranks_read(stmt) if ranks_in_database else stmt


def _read(rows: Iterable[Any]) -> tuple[list[LeadTime], list[Callable[[], ApprovedLine]]]:
    ranks: dict[tuple[str, str], dict[int, float] | list[float]] = {}
    counts: dict[tuple[str, str], int] = {}
    approved: list[tuple[datetime, str, str, str, float]] = []
    for a, b, taken, windowed, key, closed_at, rank, n in rows:
        # to the microsecond, as timedelta keeps it: julianday's float is off by nanoseconds
        hours = round(float(taken), 6) / 3600
        if windowed:
            ranked = ranks.setdefault((a, b), {} if rank is not None else [])
            if isinstance(ranked, dict):
                ranked[rank - 1] = hours
                counts[(a, b)] = n
            else:
                ranked.append(hours)
        if closed_at is not None:
            approved.append((closed_at, key, a, b, hours))
    for pair_, hours_ in ranks.items():
        if isinstance(hours_, list):  # every duration: rank them here
            hours_.sort()
            counts[pair_] = len(hours_)
    return _lead_times(ranks, counts), [
        partial(_approved_line, *approval) for approval in sorted(approved)
    ]


def _approved_line(closed_at: datetime, key: str, a: str, b: str, hours: float) -> ApprovedLine:
    return ApprovedLine.trusted(
        project_key=key,
        transition=transition(Stage(a), Stage(b)),
        approved_at=closed_at,
        hours=round(hours, 2),
    )


def _ranks_read(ranked_select: Select[Any]) -> Select[Any]:
    """Of the ranked durations, the new approvals and the ranks the percentiles read."""
    r = ranked_select.subquery().c
    # 1-based ranks of floor((n - 1) * q) and the one after it, for q = 0.5 and 0.9 (integer
    # division: what math.floor gives in percentile() below for these two q).
    below = [(r.n - 1) // 2 + 1, (r.n - 1) * 9 // 10 + 1]
    kept = or_(*(r.rank == b for b in below), *(r.rank == b + 1 for b in below))
    return select(r.a, r.b, r.seconds, r.in_window, r.key, r.closed_at, r.rank, r.n).where(
        or_(r.closed_at.is_not(None), and_(r.in_window, kept))
    )


def _lead_times(
    ranks: Mapping[tuple[str, str], Mapping[int, float] | Sequence[float]],
    counts: Mapping[tuple[str, str], int],
) -> list[LeadTime]:
    pairs = {(Stage(a), Stage(b)): (a, b) for a, b in counts}
    order = sorted(pairs, key=lambda pair: (LIFECYCLE.index(pair[0]), LIFECYCLE.index(pair[1])))
    return [_lead_time(pair, ranks[pairs[pair]], counts[pairs[pair]]) for pair in order]


@cache  # a handful of stage pairs, asked for once per line of a digest
def transition(from_stage: Stage, to_stage: Stage) -> str:
    return f"{Stage(from_stage).value} → {Stage(to_stage).value}"


def _lead_time(
    pair: tuple[Stage, Stage], ranked: Mapping[int, float] | Sequence[float], n: int
) -> LeadTime:
    return LeadTime(
        transition=transition(*pair),
        count=n,
        median_hours=round(percentile(ranked, 0.5, n), 2),
        p90_hours=round(percentile(ranked, 0.9, n), 2),
    )


def percentile(
    ordered: Mapping[int, float] | Sequence[float], q: float, n: int | None = None
) -> float:
    """Linear interpolation between the closest ranks (numpy's default, Excel's PERCENTILE.INC):
    it uses every sample, so small counts still move smoothly; the median is the usual one.
    `ordered`: the values by 0-based rank, all of them or (with their count `n`) at least the
    two ranks the interpolation reads."""
    count = len(ordered) if n is None else n
    if not count:
        raise ValueError("no values")
    position = (count - 1) * q
    low = math.floor(position)
    high = min(low + 1, count - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)
