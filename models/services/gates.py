"""What waits downstream on a hand-off's decision, told in the transaction that decides it:
MLflow's production alias (on approval) and Workflow Builder steps (on every final decision)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from models.handoff import Handoff
from models.project import Project
from models.services import mlflow_gate, workflow_steps


def handoff_decided(s: Session, project: Project, handoff: Handoff) -> None:
    mlflow_gate.queue_promotion(s, project, handoff)
    workflow_steps.complete_waiting(s, project, handoff)
