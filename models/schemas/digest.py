"""The digest a channel receives: what waits, what is late, what moved, how long moves take.

Plain pydantic views, JSON-serialisable: a digest is built once and stored in its outbox row
(`view.model_dump(mode="json")`), then rendered from that snapshot at delivery time.
"""

from __future__ import annotations

from datetime import datetime

from models.enums import HandoffStatus, Role
from models.schemas.base import View
from models.schemas.projects import ProjectCard, RosterGap


class ProjectLine(View):
    key: str
    name: str


class WaitingOn(View):
    """A required role still undecided this round, and who leads it (None: nobody does)."""

    role: Role
    label: str
    lead: str | None


class OpenHandoffLine(View):
    project_key: str
    transition: str
    status: HandoffStatus
    requested_by: str
    requested_at: datetime
    age_hours: float
    # Empty while changes are requested: the requester, not a role, blocks it then.
    waiting_on: list[WaitingOn]
    overdue: bool
    due_at: datetime


class OverdueLine(View):
    """One undecided role of a pending hand-off past its due time."""

    project_key: str
    transition: str
    role: Role
    label: str
    lead: str | None
    hours_overdue: float


class LeadTime(View):
    """Hours from request to approval for one transition (linear-interpolated percentiles)."""

    transition: str
    count: int
    median_hours: float
    p90_hours: float


class ApprovedLine(View):
    project_key: str
    transition: str
    approved_at: datetime
    hours: float  # its own lead time, request to approval


class MonitorLine(View):
    """A monitor with its latest value, its open alert and its breaches since the last digest."""

    project_key: str
    metric: str
    direction: str
    threshold: float
    last_value: float | None
    alert: str | None  # open | acknowledged | None
    breaches_since: int
    source_error: str | None  # a metric source that is failing


class DigestView(View):
    team_id: str
    channel_id: str | None  # None: the whole workspace (or one project by key)
    project_key: str | None = None
    generated_at: datetime
    since: datetime | None  # None: no earlier digest, so nothing is "new since"
    # Stage value → its projects by key, in lifecycle order (manage, develop, deploy, monitor).
    projects_by_stage: dict[str, list[ProjectLine]]
    open_handoffs: list[OpenHandoffLine]
    overdue_signoffs: list[OverdueLine]
    lead_times: list[LeadTime]
    approved_since: list[ApprovedLine]
    monitors: list[MonitorLine] = []
    # Projects whose next hand-off requires a role nobody leads (`departed` stays empty: the
    # digest asks Slack about nobody). Empty in rows queued before this field existed.
    roster_gaps: list[RosterGap] = []
    # Lines in all, by part ("open_handoffs", "projects_by_stage.develop", ...), where a part
    # has more than its list keeps (LINES_KEPT in models/services/digest.py). Empty in rows
    # queued before this field existed: their lists were whole.
    totals: dict[str, int] = {}
    # False: asked for now (`/mlops digest now`, `baton digest`), so shown in full even when
    # nothing is new. True for rows queued before this field existed: they were shown as
    # scheduled ones.
    scheduled: bool = True

    def total(self, part: str) -> int:
        """How many lines a part has in all, kept or not: "open_handoffs", "roster_gaps",
        "projects_by_stage.<stage>"..."""
        if part in self.totals:
            return self.totals[part]
        if part.startswith("projects_by_stage."):
            return len(self.projects_by_stage.get(part.removeprefix("projects_by_stage."), []))
        lines: list[object] = getattr(self, part)
        return len(lines)

    @property
    def project_count(self) -> int:
        return sum(self.total(f"projects_by_stage.{stage}") for stage in self.projects_by_stage)

    @property
    def nothing_new(self) -> bool:
        """Nothing waits, is late, moved, misbehaves or lacks a lead: a scheduled digest shrinks
        to one line. A vacant required role keeps it whole, as an open alert does: it is what
        would stall the project's next hand-off."""
        troubled = any(m.alert or m.breaches_since or m.source_error for m in self.monitors)
        stalled = self.open_handoffs or self.overdue_signoffs or self.roster_gaps
        return not (stalled or self.approved_since or troubled)


class StatusView(View):
    """`/mlops status`: the project card, its monitors and its lead times."""

    card: ProjectCard
    monitors: list[MonitorLine]
    lead_times: list[LeadTime]
