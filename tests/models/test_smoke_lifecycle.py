from __future__ import annotations

from models.enums import Decision, HandoffStatus, Role, Stage
from models.policy import DEFAULT_POLICY
from models.schemas import Actor
from models.services import decisions, handoffs, projects, roster

T = "T_HOME"


def test_manage_to_develop(db, clock):
    creator = Actor(T, "U_CREATOR")
    with db.session() as s:
        projects.create_project(s, creator, "churn-model", "Churn model", "C_CHURN")
        roster.assign_role(s, creator, "churn-model", Role.DOMAIN_EXPERT, "U_DOM", lead=True)
        roster.assign_role(s, creator, "churn-model", Role.ML_ARCHITECT, "U_ARCH", lead=True)
        roster.assign_role(s, creator, "churn-model", Role.DATA_SCIENTIST, "U_DS", lead=True)
    packet = {
        "objective": "x",
        "success_metric": "auc",
        "data_sources": "s3",
        "target_date": "2026-04-01",
    }
    with db.session() as s:
        view = handoffs.request_handoff(
            s, Actor(T, "U_DS"), "churn-model", None, packet, DEFAULT_POLICY
        )
    with db.session() as s:
        r1 = decisions.decide(s, Actor(T, "U_DOM"), view.id, Decision.APPROVED, DEFAULT_POLICY)
    with db.session() as s:
        r2 = decisions.decide(s, Actor(T, "U_ARCH"), view.id, Decision.APPROVED, DEFAULT_POLICY)
    assert not r1.advanced and r2.advanced
    assert r2.handoff.status == HandoffStatus.APPROVED
    with db.session() as s:
        card = projects.project_card(s, T, "churn-model", DEFAULT_POLICY)
    assert card.project.stage == Stage.DEVELOP
