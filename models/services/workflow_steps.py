"""Workflow Builder's "Request Baton sign-off" step: a hand-off a Slack workflow waits on.

The step opens the hand-off and stores its function execution id with it; when the hand-off
is decided, its completion (success on approval; error on rejection or cancellation) is queued
in the same transaction as the decision, for the "workflow" outbox sink to send to Slack. So
a restart between the request and the decision still completes the step.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from models import rules
from models.base import utcnow
from models.enums import Decision, Stage
from models.errors import DomainError
from models.gates import WorkflowStep
from models.handoff import Handoff
from models.notifications import WorkflowCompletion
from models.policy import Policy
from models.project import Project
from models.schemas.base import Actor
from models.schemas.projects import HandoffView
from models.services import handoffs, outbox
from models.services.handoff_queries import get_handoff, handoff_view

SOURCE = "workflow"
EXECUTION_ID = re.compile(r"^[A-Za-z0-9._-]{1,55}$")  # fits the outbox sink target
USER_ID = re.compile(r"^[UW][A-Z0-9]{2,31}$")
PACKET_TEXT_MAX = 20_000
STAGES = ", ".join(s.value for s in Stage if s is not Stage.ARCHIVED)


@dataclass(frozen=True)
class StepRequest:
    """The step's inputs as Workflow Builder sent them (all text, possibly missing)."""

    function_execution_id: str
    workflow_execution_id: str | None
    project: str | None
    target_stage: str | None
    requester: str | None
    packet: str | None


@dataclass(frozen=True)
class Completion:
    """What the sink tells Slack: outputs on approval, an error message otherwise."""

    function_execution_id: str
    decision: str  # approved | rejected | cancelled
    approvers: list[str]
    handoff_id: int
    project_key: str
    transition: str
    channel_id: str
    reasons: list[str]


def request_signoff(s: Session, team_id: str, req: StepRequest, policy: Policy) -> HandoffView:
    """Open the hand-off the step waits on; DomainError (nothing changed) for bad inputs."""
    if not EXECUTION_ID.match(req.function_execution_id or ""):
        raise DomainError("The step's function execution id is missing or malformed.")
    existing = _step(s, req.function_execution_id)
    if existing is not None:  # Slack delivered this execution twice: it waits on the same one
        return handoff_view(s, get_handoff(s, team_id, existing.handoff_id), policy)
    key = rules.project_key(_required(req.project, "project").lower())
    stage = _stage(_required(req.target_stage, "target stage"))
    requester = _required(req.requester, "requester")
    if not USER_ID.match(requester):
        raise DomainError(f"The requester must be a Slack user, not '{requester[:40]}'.")
    packet = parse_packet(_required(req.packet, "packet"))
    view = handoffs.request_handoff(
        s, Actor(team_id, requester), key, stage, packet, policy, source=SOURCE
    )
    s.add(
        WorkflowStep(
            team_id=team_id,
            handoff_id=view.id,
            function_execution_id=req.function_execution_id,
            workflow_execution_id=(req.workflow_execution_id or "")[:64] or None,
            requested_by=requester,
        )
    )
    return view


def parse_packet(text: str) -> dict[str, str]:
    """A JSON object, or one `field: value` per line (lines without a colon continue the
    previous value), as a Workflow Builder text input holds it."""
    if len(text) > PACKET_TEXT_MAX:
        raise DomainError(f"The packet is longer than {PACKET_TEXT_MAX} characters.")
    stripped = text.strip()
    if stripped.startswith("{"):
        try:
            loaded = json.loads(stripped)
        except ValueError:
            raise DomainError("The packet starts with '{' but is not a JSON object.") from None
        if not isinstance(loaded, dict):
            raise DomainError("The packet must be a JSON object of field: value.")
        return {str(k): str(v) for k, v in loaded.items()}
    packet: dict[str, str] = {}
    last: str | None = None
    for line in stripped.splitlines():
        field, colon, value = line.partition(":")
        name = field.strip().lower().replace(" ", "_").replace("-", "_")
        if colon and re.fullmatch(r"[a-z][a-z0-9_]{0,63}", name):
            packet[name], last = value.strip(), name
        elif last is not None and line.strip():
            packet[last] = f"{packet[last]}\n{line.strip()}"
        elif line.strip():
            raise DomainError(f"Packet lines read `field: value`; this one does not: {line[:60]}")
    return packet


def complete_waiting(s: Session, project: Project, handoff: Handoff) -> None:
    """The hand-off was decided: queue the completion of every step waiting on it."""
    if handoff.status.is_open:
        return
    steps = s.scalars(
        select(WorkflowStep).where(
            WorkflowStep.handoff_id == handoff.id, WorkflowStep.outcome.is_(None)
        )
    )
    for step in steps:
        step.outcome = handoff.status.value
        note = WorkflowCompletion(project_id=project.id, handoff_id=handoff.id, step_id=step.id)
        outbox.to_sink(s, project.team_id, step.function_execution_id, note)


def completion(s: Session, team_id: str, step_id: int) -> Completion:
    step = s.get(WorkflowStep, step_id)
    if step is None or step.team_id != team_id or step.outcome is None:
        raise LookupError(f"workflow step {step_id} has nothing to complete")
    handoff = get_handoff(s, team_id, step.handoff_id)
    project = s.get(Project, handoff.project_id)
    assert project is not None
    decided = handoff.signoffs_this_round().values()
    return Completion(
        function_execution_id=step.function_execution_id,
        decision=step.outcome,
        approvers=list(
            dict.fromkeys(d.user_id for d in decided if d.decision == Decision.APPROVED)
        ),
        handoff_id=handoff.id,
        project_key=project.key,
        transition=f"{handoff.from_stage.value} → {handoff.to_stage.value}",
        channel_id=project.channel_id,
        reasons=[d.reason for d in decided if d.decision == Decision.REJECTED and d.reason],
    )


def record_completed(s: Session, step_id: int) -> None:
    step = s.get(WorkflowStep, step_id)
    if step is not None and step.completed_at is None:
        step.completed_at = utcnow()


def _step(s: Session, execution_id: str) -> WorkflowStep | None:
    return s.scalars(
        select(WorkflowStep).where(WorkflowStep.function_execution_id == execution_id)
    ).one_or_none()


def _required(value: str | None, name: str) -> str:
    text = (value or "").strip()
    if not text:
        raise DomainError(f"The step needs a {name}; it was left empty.")
    return text


def _stage(text: str) -> Stage:
    try:
        stage = Stage(text.strip().lower())
    except ValueError:
        stage = None
    if stage is None or stage is Stage.ARCHIVED:
        raise DomainError(f"'{text[:40]}' is not a stage to hand off to; use one of: {STAGES}.")
    return stage
