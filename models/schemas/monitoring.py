"""Plain results and inputs of the monitoring services; renderers and APIs read these."""

from __future__ import annotations

import math
from datetime import datetime
from typing import Literal

from pydantic import AwareDatetime, Field, field_validator

from models.enums import Role
from models.rules import MetricName, PollSeconds, ProjectKey, SourceUrl
from models.schemas.base import View

Direction = Literal["min", "max"]
SourceKind = Literal["prometheus", "json"]
ObservationSource = Literal["slack", "api", "pull"]


def breaches(direction: str, threshold: float, value: float) -> bool:
    """min: a value below the threshold is a breach; max: a value above it."""
    return value < threshold if direction == "min" else value > threshold


class MonitorSource(View):
    """Where the metric pull job reads a monitor's value.

    prometheus: `url` is the server's base URL (`http://prom:9090`) or its query endpoint
    (`http://prom:9090/api/v1/query`) and `query` the PromQL expression;
    json: `url` answers JSON and `query` is a dotted path such as `metrics.auc` or `items.0.value`.
    """

    kind: SourceKind
    # The form (models/rules.py); where it may point is the operator's policy, checked by the
    # service and the fetcher.
    url: SourceUrl
    query: str = Field(min_length=1, max_length=2000)
    poll_seconds: PollSeconds = 300


class MetricPoint(View):
    """One pushed value: which project, which metric, what it measured."""

    key: ProjectKey
    metric: MetricName
    value: float
    observed_at: AwareDatetime | None = None  # when it was measured; default: the batch's time

    @field_validator("value")
    @classmethod
    def _finite(cls, value: float) -> float:
        if not math.isfinite(value):
            raise ValueError("the value must be a finite number")
        return value


class MonitorView(View):
    id: int
    project_key: str
    metric: str
    direction: Direction
    threshold: float
    owner_role: Role
    source_kind: str | None
    source_url: str | None
    source_query: str | None
    poll_seconds: int
    last_value: float | None
    last_observed_at: datetime | None
    last_error: str | None
    open_alert: str | None  # status of its open alert: "open" | "acknowledged" | None
    created_by: str
    created_at: datetime
    source_hidden: bool = False  # a source exists but the reader is not a project member

    def without_source(self) -> MonitorView:
        """What someone outside the project sees: the rule and the value, not the source."""
        hidden = self.source_kind is not None
        changes = {"source_url": None, "source_query": None, "last_error": None}
        return self.model_copy(update={**changes, "source_hidden": hidden})

    @property
    def rule(self) -> str:
        return f"{'below' if self.direction == 'min' else 'above'} {self.threshold:g}"


class AlertView(View):
    id: int
    team_id: str
    project_key: str
    project_name: str
    channel_id: str
    metric: str
    direction: Direction
    threshold: float
    value: float
    status: str  # open | acknowledged | resolved
    owner_role: Role
    owner_user: str | None
    opened_at: datetime
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    escalated_at: datetime | None
    resolved_at: datetime | None
    message_ts: str | None
    message_channel: str | None = None  # where message_ts is (the channel it was posted to)
    resolved_value: float | None = None  # the value that ended it, while its observation is kept
    retrain_blocked: str | None = None  # why "Open retrain hand-off" does not apply now

    @property
    def is_open(self) -> bool:
        return self.status != "resolved"

    @property
    def breach_text(self) -> str:
        """What the retrain form's issue says: `auc 0.7 breached min 0.8`."""
        return f"{self.metric} {self.value:g} breached {self.direction} {self.threshold:g}"


class ObservationResult(View):
    """What one recorded value did: breach or not, and which alert it opened or resolved."""

    project_key: str
    metric: str
    value: float
    breach: bool
    monitor: MonitorView
    alert_opened: int | None = None
    alert_resolved: int | None = None
    owner_user: str | None = None  # who the opened alert pings


class BatchResult(View):
    """A pushed batch: what was recorded, and the points no active monitor matched."""

    recorded: list[ObservationResult]
    unmatched: list[MetricPoint]


class AckResult(View):
    alert: AlertView
    changed: bool  # False: it was already acknowledged (double click, a colleague first)
