"""Request and response bodies of /api/v1: validated with pydantic, published in the OpenAPI
document from the same models, so the contract and the checks cannot drift apart."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    WithJsonSchema,
)

from models.enums import HandoffStatus, Role, Stage
from models.policy import KEY_PATTERN
from models.rules import SLACK_USER_PATTERN, MetricName, ProjectKey
from models.schemas.projects import HandoffView, SignOffLine

SLACK_USER = SLACK_USER_PATTERN
MAX_BATCH = 1000
# RFC 3339, as the schema's "date-time" format says: not a Unix number, not a bare date.
DATE_TIME = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")


def _date_time_text(value: Any) -> Any:
    if not isinstance(value, str) or not DATE_TIME.fullmatch(value):
        raise ValueError("must be a date-time string such as 2026-03-02T09:00:00Z")
    return value


DateTimeText = Annotated[AwareDatetime, BeforeValidator(_date_time_text)]
# Text no column refuses: PostgreSQL stores no NUL character.
Text = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$")]
# A key the policy could name (which ones a transition asks for is the policy's to say).
PacketKey = Annotated[str, StringConstraints(pattern=KEY_PATTERN)]
# Pipelines write versions as numbers; the packet keeps them as text.
PacketValue = Annotated[
    Text,
    WithJsonSchema({"anyOf": [{"type": "string", "pattern": "^[^\\u0000]*$"}, {"type": "number"}]}),
]


class Body(BaseModel):
    """A request body: unknown fields are mistakes worth reporting, not ignoring."""

    model_config = ConfigDict(extra="forbid")


class Observation(Body):
    project: ProjectKey = Field(description="Project key, e.g. churn-model")
    metric: MetricName = Field(description="Metric name, e.g. auc")
    # strict: a JSON number only (no "0.9" strings, no booleans); finite.
    value: float = Field(strict=True, allow_inf_nan=False)
    observed_at: DateTimeText | None = Field(
        default=None, description="When it was measured, with a time zone; default: now"
    )


class ObservationBatch(Body):
    observations: list[Observation] = Field(min_length=1, max_length=MAX_BATCH)


class HandoffRequest(Body):
    # Pipelines write versions as numbers; the packet keeps text.
    model_config = ConfigDict(extra="forbid", coerce_numbers_to_str=True)

    project: ProjectKey
    packet: dict[PacketKey, PacketValue] = Field(
        description="The transition's packet fields, by key: the policy says which a "
        "transition asks for, and any other key is refused with 422",
        json_schema_extra={"additionalProperties": False},  # keys outside the pattern: refused
    )
    to_stage: Literal["manage", "develop", "deploy", "monitor"] | None = Field(
        default=None, description="Default: the project's next stage"
    )
    requested_by: str = Field(
        pattern=SLACK_USER, description="Slack user id of the project member asking"
    )


class MetricRef(BaseModel):
    project: str
    metric: str


class MetricsAccepted(BaseModel):
    accepted: int = Field(description="Observations recorded")
    alerts_opened: int = Field(description="Alerts these values opened (breaches)")
    unmatched: list[MetricRef] = Field(
        description="Observations no active monitor of the project watches: not recorded"
    )


class SignOffOut(BaseModel):
    role: Role
    lead: str | None
    state: Literal["pending", "approved", "changes_requested", "rejected"]


class HandoffOut(BaseModel):
    id: int
    project: str
    from_stage: Stage
    to_stage: Stage
    status: HandoffStatus
    round: int
    requested_by: str
    requested_at: datetime
    due_at: datetime
    packet: dict[str, str]
    signoffs: list[SignOffOut]

    @classmethod
    def of(cls, view: HandoffView) -> HandoffOut:
        signoffs = [
            SignOffOut(role=c.role, lead=c.lead, state=signoff_state(c)) for c in view.checklist
        ]
        return cls(**handoff_fields(view), signoffs=signoffs)


def handoff_fields(view: HandoffView) -> dict[str, Any]:
    """What every API body of a hand-off carries (HandoffOut, HandoffState), from the view."""
    return {
        "id": view.id,
        "project": view.project_key,
        "from_stage": view.from_stage,
        "to_stage": view.to_stage,
        "status": view.status,
        "round": view.round,
        "requested_by": view.requested_by,
        "requested_at": view.requested_at,
        "due_at": view.due_at,
        "packet": {line.key: line.value for line in view.packet},
    }


def signoff_state(line: SignOffLine) -> str:
    """A required sign-off's decision as the API spells it; undecided is "pending"."""
    return line.state.value if line.state else "pending"


class ErrorBody(BaseModel):
    error: str


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str


class ValidationErrors(BaseModel):
    errors: list[FieldError]


def body_errors(exc: ValidationError) -> ValidationErrors:
    return ValidationErrors(
        errors=[FieldError(loc=["body", *e["loc"]], msg=_message(e)) for e in exc.errors()]
    )


def _message(error: Any) -> str:
    # A rule of models/rules.py speaks for itself, in the words every way in uses.
    return error["msg"].removeprefix("Value error, ")


def field_errors(where: str, problems: dict[str, str]) -> ValidationErrors:
    return ValidationErrors(errors=[FieldError(loc=[where, k], msg=m) for k, m in problems.items()])


def parse_observations(raw: Any) -> list[Observation]:
    """One observation, or a batch under "observations"."""
    if isinstance(raw, dict) and "observations" in raw:
        return ObservationBatch.model_validate(raw).observations
    return [Observation.model_validate(raw)]
