"""`--seed demo`: a workspace that already tells the story, made through the domain services.

Three projects at different stages, one lead per role, an open hand-off waiting on two
leads, and (where the monitoring services exist) a monitor in breach. Nothing is written
behind the services' backs: every card, DM and alert the page shows is the outbox at work.
"""

from __future__ import annotations

import importlib.util
import logging
from dataclasses import dataclass

from sqlalchemy import func, select

from bot.runtime import Runtime
from bot.sandbox.workspace import TEAM_ID, Workspace
from models.base import utcnow
from models.enums import Decision, Role, Stage
from models.policy import PacketField, Transition
from models.project import Project
from models.schemas.base import Actor
from models.services import decisions, handoffs, projects, roster

log = logging.getLogger(__name__)

MANAGER, SCIENTIST = "UGRACE", "UDANA"
LEADS: dict[Role, str] = {
    Role.DATA_SCIENTIST: "UDANA",
    Role.DATA_ANALYST: "UARI",
    Role.DATA_ENGINEER: "UELI",
    Role.DEVOPS_ENGINEER: "UOMAR",
    Role.ML_ARCHITECT: "UMEI",
    Role.SOFTWARE_DEVELOPER: "USAM",
    Role.DOMAIN_EXPERT: "ULENA",
    Role.BUSINESS_MANAGER: "UGRACE",
    Role.COMPLIANCE: "UJON",
}
# Packet values by field key; a policy file's own fields get a readable stand-in.
VALUES = {
    "objective": "{objective}",
    "success_metric": "AUC ≥ 0.85 on the March holdout",
    "data_sources": "warehouse.customers, events stream, support tickets",
    "target_date": "2026-06-30",
    "model_name": "{key}-xgb",
    "model_version": "3",
    "training_data": "customers@2026-02-28",
    "data_source": "s3://lake/customers/2026-02-28",
    "evaluation": "AUC 0.87, recall 0.71 on holdout",
    "limitations": "New markets are under-represented",
    "endpoint": "https://models.example.internal/{key}",
    "deployed_version": "3",
    "dashboard_url": "https://grafana.example.internal/d/{key}",
    "runbook": "https://wiki.example.internal/{key}/runbook",
}


@dataclass(frozen=True)
class DemoProject:
    key: str
    name: str
    channel: str
    stage: Stage  # where the seed leaves it
    objective: str
    packet: dict[str, str]  # this project's own packet values, over VALUES
    open_handoff: bool = False  # request the next hand-off and leave it waiting
    monitor: bool = False


DEMO_PROJECTS = (
    DemoProject(
        "churn-model",
        "Churn model",
        "CCHURN",
        Stage.MANAGE,
        "Predict which customers leave within 30 days",
        {
            "success_metric": "AUC ≥ 0.85 on the March holdout",
            "data_sources": "warehouse.customers, events stream, support tickets",
            "target_date": "2026-06-30",
        },
        open_handoff=True,
    ),
    DemoProject(
        "fraud-detection",
        "Fraud detection",
        "CFRAUD",
        Stage.DEPLOY,
        "Flag card payments that look fraudulent before they settle",
        {
            "success_metric": "Recall ≥ 0.90 at 1% false positives",
            "data_sources": "payments ledger, chargebacks, device fingerprints",
            "target_date": "2026-04-15",
            "training_data": "payments@2026-01-31",
            "data_source": "s3://lake/payments/2026-01-31",
            "evaluation": "recall 0.92 at 1% FPR, precision 0.41",
            "limitations": "Few examples of new card types",
            "model_version": "7",
        },
    ),
    DemoProject(
        "demand-forecast",
        "Demand forecast",
        "CDEMAND",
        Stage.MONITOR,
        "Forecast next week's orders per warehouse",
        {
            "success_metric": "MAPE ≤ 0.15 per warehouse and week",
            "data_sources": "orders history, promotions calendar, weather feed",
            "target_date": "2026-03-31",
            "training_data": "orders@2026-02-15",
            "data_source": "s3://lake/orders/2026-02-15",
            "evaluation": "MAPE 0.11 on the last 8 weeks",
            "limitations": "Holiday weeks are forecast less well",
            "model_version": "12",
            "deployed_version": "12",
        },
        monitor=True,
    ),
)


def seed_demo(rt: Runtime, ws: Workspace) -> list[str]:
    """Seed once; a database that already holds sandbox projects is left as it is."""
    with rt.session() as s:
        existing = s.scalar(select(func.count()).where(Project.team_id == TEAM_ID))
    if existing:
        return [f"demo not seeded again: the database already holds {existing} sandbox projects"]
    done = []
    for demo in DEMO_PROJECTS:
        ws.add_channel(demo.channel, demo.key)
        _create(rt, demo)
        _advance_to(rt, demo)
        if demo.open_handoff:
            waiting = _request(rt, demo)
            done.append(f"{demo.key}: hand-off waiting on {', '.join(waiting)}")
        if demo.monitor:
            done.append(_monitor_in_breach(rt, demo.key))
        done.append(f"{demo.key}: stage {demo.stage.value} in #{demo.key}")
    return done


def _actor(user: str) -> Actor:
    return Actor(TEAM_ID, user)


def _create(rt: Runtime, demo: DemoProject) -> None:
    with rt.session() as s:
        projects.create_project(s, _actor(MANAGER), demo.key, demo.name, demo.channel)
        for role, person in LEADS.items():
            roster.assign_role(s, _actor(MANAGER), demo.key, role, person, lead=True)


def _advance_to(rt: Runtime, demo: DemoProject) -> None:
    """Walk the policy's transitions until the project stands at the demo's stage."""
    for _ in range(len(rt.policy.transitions)):
        with rt.session() as s:
            stage = projects.project_card(s, TEAM_ID, demo.key, rt.policy).project.stage
        if stage == demo.stage:
            return
        _request(rt, demo)
        _approve_all(rt, demo.key)
    raise RuntimeError(f"the policy never takes {demo.key} to {demo.stage.value}")


def _request(rt: Runtime, demo: DemoProject) -> list[str]:
    """The data scientist requests the next hand-off; returns the names of who must sign."""
    key = demo.key
    with rt.session() as s:
        stage = projects.project_card(s, TEAM_ID, key, rt.policy).project.stage
        transition = rt.policy.transition(stage)
        if transition is None:
            raise RuntimeError(f"the policy has no hand-off out of {stage.value}")
        view = handoffs.request_handoff(
            s, _actor(SCIENTIST), key, transition.to_stage, packet(transition, demo), rt.policy
        )
    return [line.label for line in view.waiting_on]


def _approve_all(rt: Runtime, key: str) -> None:
    with rt.session() as s:
        card = projects.project_card(s, TEAM_ID, key, rt.policy)
    handoff = card.open_handoff
    if handoff is None:
        raise RuntimeError(f"{key} has no open hand-off to approve")
    for line in handoff.waiting_on:
        if line.signer is None:
            raise RuntimeError(f"{key} has no lead for {line.label}")
        with rt.session() as s:
            decisions.decide(s, _actor(line.signer), handoff.id, Decision.APPROVED, rt.policy)


def packet(transition: Transition, demo: DemoProject) -> dict[str, str]:
    values = {**VALUES, **demo.packet}
    return {
        f.key: values.get(f.key, _stand_in(f)).format(key=demo.key, objective=demo.objective)
        for f in transition.fields
    }


# A policy file's own typed fields get a value their type accepts.
TYPED_STAND_INS = {
    "date": "2026-06-30",
    "url": "https://example.internal/{key}",
    "number": "1",
    "version": "1",
    "name@version": "{key}@1",
    "user": SCIENTIST,
}


def _stand_in(f: PacketField) -> str:
    if f.type == "select":
        return f.options[0]
    return TYPED_STAND_INS.get(f.type, f"Demo {f.label.lower()}")


def _monitor_in_breach(rt: Runtime, key: str) -> str:
    # Monitoring arrived after the sandbox; without it the demo simply has no alert.
    if importlib.util.find_spec("models.services.monitoring") is None:
        return f"{key}: no monitor (this Baton has no monitoring services)"
    from models.services import monitoring

    with rt.session() as s:
        monitoring.add_monitor(s, _actor(SCIENTIST), key, "mape", "max", 0.15)
    with rt.session() as s:
        monitoring.record_observation(s, _actor(SCIENTIST), key, "mape", 0.23, "slack", utcnow())
    return f"{key}: monitor mape max 0.15 in breach at 0.23"
