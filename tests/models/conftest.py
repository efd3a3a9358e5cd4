"""A seeded project with a full roster, the packets each transition asks for, and row readers.

`seeded` is one project in workspace T_HOME (stage manage) with a lead for every role except
compliance and a second member in the data, engineering and delivery roles. Helpers act
through the services, one committed transaction per call, like a click would.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from models import AuditEvent, OutboxMessage
from models.enums import Decision, Role, Stage
from models.notifications import HomeRefresh
from models.policy import DEFAULT_POLICY, Policy
from models.schemas.base import Actor
from models.schemas.projects import DecisionResult, HandoffView, ProjectCard
from models.services import decisions, handoffs, projects, roster
from tests.conftest import Database, seed_once

T = "T_HOME"
T_OTHER = "T_OTHER"
KEY = "churn-model"
CHANNEL = "C_CHURN"
CREATOR = "U_CREATOR"
OUTSIDER = "U_NOBODY"
COMPLIANCE_LEAD = "U_LEGAL"

LEADS: dict[Role, str] = {
    Role.DATA_SCIENTIST: "U_DS",
    Role.DATA_ANALYST: "U_DA",
    Role.DATA_ENGINEER: "U_DE",
    Role.DEVOPS_ENGINEER: "U_OPS",
    Role.ML_ARCHITECT: "U_ARCH",
    Role.SOFTWARE_DEVELOPER: "U_SWE",
    Role.DOMAIN_EXPERT: "U_DOM",
    Role.BUSINESS_MANAGER: "U_BIZ",
}
MEMBERS: dict[Role, tuple[str, ...]] = {
    Role.DATA_SCIENTIST: ("U_DS2",),
    Role.DATA_ENGINEER: ("U_DE2",),
    Role.SOFTWARE_DEVELOPER: ("U_SWE2",),
    Role.DEVOPS_ENGINEER: ("U_OPS2",),
}

PACKETS: dict[tuple[Stage, Stage], dict[str, str]] = {
    (Stage.MANAGE, Stage.DEVELOP): {
        "objective": "Predict churn 30 days ahead",
        "success_metric": "AUC >= 0.85 on holdout",
        "data_sources": "warehouse.customers, warehouse.events",
        "target_date": "2026-04-01",
    },
    (Stage.DEVELOP, Stage.DEPLOY): {
        "model_name": "churn-xgb",
        "model_version": "3",
        "training_data": "customers@2026-02-01",
        "data_source": "s3://lake/customers/2026-02-01",
        "evaluation": "AUC 0.87 on March holdout",
        "limitations": "Weak on accounts younger than 30 days",
    },
    (Stage.DEPLOY, Stage.MONITOR): {
        "endpoint": "https://ml.example.com/churn",
        "deployed_version": "3",
        "dashboard_url": "https://grafana.example.com/d/churn",
        "runbook": "https://wiki.example.com/churn-runbook",
    },
    (Stage.MONITOR, Stage.DEVELOP): {
        "issue": "AUC fell to 0.78",
        "affected_metrics": "auc",
        "suspected_cause": "data pipeline",
    },
}

# The stage a project is in after each approval along the lifecycle.
NEXT = {
    Stage.MANAGE: Stage.DEVELOP,
    Stage.DEVELOP: Stage.DEPLOY,
    Stage.DEPLOY: Stage.MONITOR,
    Stage.MONITOR: Stage.DEVELOP,
}


def packet_for(from_stage: Stage, to_stage: Stage, **changes: str) -> dict[str, str]:
    return {**PACKETS[(from_stage, to_stage)], **changes}


@dataclass
class Seeded:
    """One project and the people on it; every helper is one committed unit of work."""

    db: Database
    team: str = T
    key: str = KEY
    policy: Policy = DEFAULT_POLICY

    def actor(self, user: str, *, admin: bool = False) -> Actor:
        return Actor(self.team, user, is_admin=admin)

    def request(
        self,
        by: str = LEADS[Role.DATA_SCIENTIST],
        to_stage: Stage | None = None,
        packet: dict[str, str] | None = None,
    ) -> HandoffView:
        if packet is None:
            from_stage = self.stage()
            packet = packet_for(from_stage, to_stage or NEXT[from_stage])
        with self.db.session() as s:
            return handoffs.request_handoff(
                s, self.actor(by), self.key, to_stage, packet, self.policy
            )

    def decide(
        self,
        user: str,
        handoff_id: int,
        decision: Decision = Decision.APPROVED,
        reason: str | None = None,
        *,
        admin: bool = False,
    ) -> DecisionResult:
        with self.db.session() as s:
            return decisions.decide(
                s, self.actor(user, admin=admin), handoff_id, decision, self.policy, reason
            )

    def approve_all(self, view: HandoffView) -> DecisionResult:
        result = None
        for line in view.checklist:  # each role's signer: its lead, or the lead's stand-in
            assert line.signer is not None
            result = self.decide(line.signer, view.id)
        assert result is not None
        return result

    def advance(self) -> DecisionResult:
        """Request the next stage and have every required lead approve it."""
        return self.approve_all(self.request())

    def advance_to(self, stage: Stage) -> None:
        while self.stage() != stage:
            assert self.advance().advanced

    def card(self) -> ProjectCard:
        with self.db.session() as s:
            return projects.project_card(s, self.team, self.key, self.policy)

    def stage(self) -> Stage:
        return self.card().project.stage

    def assign(self, role: Role, user: str, *, lead: bool = False, by: str = CREATOR) -> None:
        with self.db.session() as s:
            roster.assign_role(s, self.actor(by), self.key, role, user, lead=lead)


def seed_project(
    db: Database,
    team: str = T,
    key: str = KEY,
    *,
    compliance: bool = False,
    without: tuple[Role, ...] = (),
) -> Seeded:
    """A project in manage with one lead per role (compliance only if asked) and a few members."""
    seeded = Seeded(db, team, key)
    with db.session() as s:
        projects.create_project(s, seeded.actor(CREATOR), key, "Churn model", CHANNEL)
    leads = {**LEADS, Role.COMPLIANCE: COMPLIANCE_LEAD} if compliance else LEADS
    for role, user in leads.items():
        if role not in without:
            seeded.assign(role, user, lead=True)
    for role, users in MEMBERS.items():
        for user in users:
            seeded.assign(role, user)
    return seeded


@pytest.fixture
def seeded(db: Database, clock: Any) -> Seeded:
    return seed_once(db, seed_project)


def rows(db: Database, model: type, *where: Any) -> list[Any]:
    """ORM rows of one table in id order (detached, readable after the session ends)."""
    with db.session() as s:
        return list(s.scalars(select(model).where(*where).order_by(*model.__table__.primary_key)))


def actions(db: Database, team: str = T) -> list[str]:
    """The audit trail's action names, oldest first."""
    return [e.action for e in rows(db, AuditEvent, AuditEvent.team_id == team)]


def messages(db: Database) -> list[tuple[str, str | None, str | None]]:
    """(topic, channel, user) of every outbox row a person reads, oldest first. App Home
    refreshes are left out: tests/slackbot/test_home.py asserts on those."""
    return [
        (m.topic, m.channel_id, m.user_id)
        for m in rows(db, OutboxMessage)
        if m.topic != HomeRefresh.topic
    ]
