"""A project with a life to audit: a hand-off sent back for changes and resubmitted, a refused
click, deploy and monitor with lineage, a breached monitor acknowledged, and an open retrain
hand-off. Names as Slack would give them (tests/fakeslack.py answers users.info)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from jobs import reminders
from jobs.context import JobContext
from models.enums import Decision, Role, Stage
from models.schemas.base import Actor
from models.services import alerts, audit, handoffs, people
from models.working_hours import WorkingHours
from tests.conftest import Database
from tests.models.conftest import (
    COMPLIANCE_LEAD,
    CREATOR,
    LEADS,
    MEMBERS,
    OUTSIDER,
    Seeded,
    T,
    packet_for,
    seed_project,
)
from tests.models.monitoring_steps import add, record

TRICKY = 'Predict churn <script>alert("x")</script> & “quoted” | *not bold*'
NAMES = {
    CREATOR: "Grace Kim",
    OUTSIDER: "Mallory",
    COMPLIANCE_LEAD: "Jon Alvarez",
    LEADS[Role.DATA_SCIENTIST]: "Priya Raman",
    LEADS[Role.DATA_ANALYST]: "Tom Berger",
    LEADS[Role.DATA_ENGINEER]: "Ana Souza",
    LEADS[Role.DEVOPS_ENGINEER]: "Olu Adeyemi",
    LEADS[Role.ML_ARCHITECT]: "Lena Fischer",
    LEADS[Role.SOFTWARE_DEVELOPER]: "Sam Okafor",
    LEADS[Role.DOMAIN_EXPERT]: "Mei Tanaka",
    LEADS[Role.BUSINESS_MANAGER]: "Raj Patel",
    **{u: f"Member {u[2:]}" for users in MEMBERS.values() for u in users},
}


def seed_lifecycle(db: Database) -> tuple[Seeded, list[int]]:
    """Returns the project and the ids of its hand-offs, oldest first."""
    seeded = seed_project(db)
    first = seeded.request(packet=packet_for(Stage.MANAGE, Stage.DEVELOP, objective=TRICKY))
    seeded.decide(
        LEADS[Role.DOMAIN_EXPERT], first.id, Decision.CHANGES_REQUESTED, "Name the holdout set"
    )
    with db.session() as s:  # what handlers/context.audit_refusal records for a refused click
        audit.record_refusal(
            s,
            Actor(T, OUTSIDER),
            "handoff.approve",
            "Only the lead of a required role can approve this.",
            handoff=str(first.id),
        )
        handoffs.submit_packet(
            s,
            seeded.actor(LEADS[Role.DATA_SCIENTIST]),
            seeded.key,
            None,
            packet_for(
                Stage.MANAGE, Stage.DEVELOP, objective=TRICKY, success_metric="AUC >= 0.85, 2026-02"
            ),
            seeded.policy,
        )
    seeded.approve_all(seeded.card().open_handoff)
    ids = [first.id]
    while seeded.stage() != Stage.MONITOR:
        view = seeded.request()
        ids.append(view.id)
        seeded.approve_all(view)
    add(db)
    result = record(db, 0.74, now=datetime.now(UTC))
    assert result.alert_opened is not None
    with db.session() as s:
        alerts.acknowledge(s, seeded.actor(LEADS[Role.DATA_SCIENTIST]), result.alert_opened)
    ids.append(seeded.request().id)  # monitor → develop: the retrain hand-off, left open
    overdue = datetime.now(UTC) + timedelta(hours=9)  # its SLA is 8 h: a reminder is owed
    # 17:00 + 9 h falls after working hours; the dossier is about the reminder, not when it went.
    anytime = WorkingHours.parse("mon-sun 00:00-23:59")
    ctx = JobContext(sessions=db.factory, policy=seeded.policy, working_hours=anytime)
    assert reminders.run(ctx, overdue) == 1
    return seeded, ids


def name_everyone(db: Database) -> None:
    with db.session() as s:
        for user_id, name in NAMES.items():
            people.remember(s, T, user_id, name)
