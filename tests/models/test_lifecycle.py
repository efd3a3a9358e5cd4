"""A project's journey manage → develop → deploy → monitor → develop, through the services."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models import AuditEvent, Handoff, ModelVersion, Project, SignOff
from models.enums import Decision, HandoffStatus, Role, Stage
from models.schemas.base import Actor
from models.services import absences, handoff_queries, lineage, projects
from models.services import trail as audit_trail
from models.services.common import get_project
from tests.models.conftest import (
    CHANNEL,
    COMPLIANCE_LEAD,
    CREATOR,
    KEY,
    LEADS,
    MEMBERS,
    NEXT,
    PACKETS,
    T,
    actions,
    messages,
    packet_for,
    rows,
    seed_project,
)

DS, DOM, ARCH = LEADS[Role.DATA_SCIENTIST], LEADS[Role.DOMAIN_EXPERT], LEADS[Role.ML_ARCHITECT]


def members_of(*roles: Role) -> list[str]:
    return sorted({u for r in roles for u in (LEADS[r], *MEMBERS.get(r, ()))})


def test_a_request_waits_on_each_required_lead_and_tells_them(db, seeded, clock):
    before = len(messages(db))

    view = seeded.request(by=DS)

    assert (view.status, view.round, view.from_stage, view.to_stage) == (
        HandoffStatus.PENDING,
        1,
        Stage.MANAGE,
        Stage.DEVELOP,
    )
    assert [(line.role, line.lead, line.state) for line in view.checklist] == [
        (Role.DOMAIN_EXPERT, DOM, None),
        (Role.ML_ARCHITECT, ARCH, None),
    ]
    assert {line.key: line.value for line in view.packet} == PACKETS[(Stage.MANAGE, Stage.DEVELOP)]
    assert (
        view.due_at == view.requested_at + timedelta(hours=48) == clock.now() + timedelta(hours=48)
    )
    assert messages(db)[before:] == [
        ("handoff.requested", CHANNEL, None),
        ("handoff.signoff_requested", None, DOM),
        ("handoff.signoff_requested", None, ARCH),
    ]
    (event,) = rows(db, AuditEvent, AuditEvent.action == "handoff.requested")
    assert (event.actor, event.project_key, event.detail["handoff_id"]) == (DS, KEY, view.id)
    assert event.detail["required"] == ["domain_expert", "ml_architect"]
    (row,) = rows(db, Handoff)
    assert (row.status, row.requested_by, row.required_roles) == (
        HandoffStatus.PENDING,
        DS,
        ["domain_expert", "ml_architect"],
    )
    with db.session() as s:
        assert [v.id for v in handoff_queries.open_handoffs(s, T, seeded.policy)] == [view.id]
        assert [v.id for v in handoff_queries.pending_signoffs(s, T, DOM, seeded.policy)] == [
            view.id
        ]
        assert handoff_queries.pending_signoffs(s, T, DS, seeded.policy) == []
        shown = projects.project_card(s, T, KEY, seeded.policy).open_handoff
    # Read back from the database, the packet still follows the policy's field order.
    assert [line.key for line in shown.packet] == list(PACKETS[(Stage.MANAGE, Stage.DEVELOP)])
    assert shown == view


def test_the_last_approval_advances_the_project_and_tells_the_receivers(db, seeded):
    view = seeded.request()

    first = seeded.decide(DOM, view.id)
    assert (first.changed, first.advanced, first.handoff.status) == (
        True,
        False,
        HandoffStatus.PENDING,
    )
    assert [line.lead for line in first.handoff.waiting_on] == [ARCH]
    with db.session() as s:
        assert handoff_queries.pending_signoffs(s, T, DOM, seeded.policy) == []
        assert [v.id for v in handoff_queries.pending_signoffs(s, T, ARCH, seeded.policy)] == [
            view.id
        ]
    before = len(messages(db))

    last = seeded.decide(ARCH, view.id)

    assert (last.advanced, last.handoff.status) == (True, HandoffStatus.APPROVED)
    assert last.handoff.closed_at is not None
    assert seeded.stage() == Stage.DEVELOP
    assert seeded.card().open_handoff is None
    assert actions(db)[-5:] == [
        "handoff.requested",
        "signoff.approved",
        "signoff.approved",
        "handoff.approved",
        "project.stage_changed",
    ]
    new = messages(db)[before:]
    assert [m for m in new if m[1] is not None] == [
        ("project.advanced", CHANNEL, None),
        ("handoff.updated", CHANNEL, None),
    ]
    dms = sorted(m[2] for m in new if m[2] is not None)
    assert dms == members_of(Role.DATA_SCIENTIST, Role.DATA_ENGINEER)
    assert {m[0] for m in new if m[2] is not None} == {"handoff.received"}
    assert [(s.role, s.user_id, s.decision, s.round) for s in rows(db, SignOff)] == [
        (Role.DOMAIN_EXPERT, DOM, Decision.APPROVED, 1),
        (Role.ML_ARCHITECT, ARCH, Decision.APPROVED, 1),
    ]
    with db.session() as s:
        assert handoff_queries.open_handoffs(s, T, seeded.policy) == []


def test_the_whole_lifecycle_loops_from_monitor_back_to_develop(db, seeded, clock):
    for expected in [Stage.DEVELOP, Stage.DEPLOY, Stage.MONITOR, Stage.DEVELOP]:
        clock.advance(hours=1)

        assert seeded.advance().advanced

        card = seeded.card()
        assert (card.project.stage, card.next_stages) == (expected, [NEXT[expected]])

    (project,) = rows(db, Project)
    assert project.stage == Stage.DEVELOP
    seeding = ["project.created"] + ["role.assigned"] * (len(LEADS) + len(MEMBERS))
    trail = []
    for leads in (2, 2, 3, 1):  # required leads of each transition in turn
        trail += ["handoff.requested", *["signoff.approved"] * leads]
        trail += ["handoff.approved", "project.stage_changed"]
    assert actions(db) == seeding + trail
    stage_changes = rows(db, AuditEvent, AuditEvent.action == "project.stage_changed")
    assert [(e.detail["stage_from"], e.detail["stage_to"]) for e in stage_changes] == [
        ("manage", "develop"),
        ("develop", "deploy"),
        ("deploy", "monitor"),
        ("monitor", "develop"),
    ]
    assert [h.status for h in rows(db, Handoff)] == [HandoffStatus.APPROVED] * 4
    with db.session() as s:
        newest = audit_trail.history(s, get_project(s, T, KEY), 3)
    assert [e.action for e in newest] == [
        "project.stage_changed",
        "handoff.approved",
        "signoff.approved",
    ]
    assert [e.id for e in newest] == sorted((e.id for e in newest), reverse=True)


def test_develop_to_deploy_records_which_data_trained_the_model(db, seeded, clock):
    seeded.advance_to(Stage.DEVELOP)
    view = seeded.request(by="U_DS2")

    seeded.approve_all(view)

    with db.session() as s:
        (entry,) = lineage.lineage_of(s, T, KEY)
    assert (entry.model_name, entry.version, entry.training_data, entry.data_source) == (
        "churn-xgb",
        "3",
        "customers@2026-02-01",
        "s3://lake/customers/2026-02-01",
    )
    assert (entry.origin, entry.recorded_by) == ("handoff", "U_DS2")
    (row,) = rows(db, ModelVersion)
    assert (row.handoff_id, row.team_id, row.evaluation) == (
        view.id,
        T,
        "AUC 0.87 on March holdout",
    )


def test_a_retrained_model_adds_a_newer_lineage_entry(db, seeded, clock):
    seeded.advance_to(Stage.MONITOR)
    seeded.advance()  # monitor → develop: retrain
    clock.advance(days=3)
    packet = packet_for(
        Stage.DEVELOP, Stage.DEPLOY, model_version="4", training_data="customers@2026-03-01"
    )

    seeded.approve_all(seeded.request(packet=packet))

    with db.session() as s:
        entries = lineage.lineage_of(s, T, KEY)
    assert [(e.version, e.training_data) for e in entries] == [
        ("4", "customers@2026-03-01"),
        ("3", "customers@2026-02-01"),
    ]
    assert len(rows(db, ModelVersion)) == 2


@pytest.mark.parametrize("compliance", [False, True], ids=["no-compliance-lead", "compliance-lead"])
def test_compliance_signs_develop_to_deploy_only_when_it_has_a_lead(db, clock, compliance):
    seeded = seed_project(db, compliance=compliance)
    first = seeded.request()
    assert Role.COMPLIANCE not in [line.role for line in first.checklist]  # manage → develop
    seeded.approve_all(first)
    before = len(messages(db))

    view = seeded.request()

    expected = [Role.DATA_SCIENTIST, Role.DOMAIN_EXPERT] + ([Role.COMPLIANCE] * compliance)
    assert [line.role for line in view.checklist] == expected
    compliance_dm = ("handoff.signoff_requested", None, COMPLIANCE_LEAD)
    assert (compliance_dm in messages(db)[before:]) is compliance
    (row,) = [h for h in rows(db, Handoff) if h.id == view.id]
    assert row.required_roles == [r.value for r in expected]
    seeded.decide(ARCH, view.id)  # for DS, who requested it
    last = seeded.decide(DOM, view.id)
    assert last.advanced is not compliance
    if compliance:
        assert seeded.decide(COMPLIANCE_LEAD, view.id).advanced
    assert seeded.stage() == Stage.DEPLOY


@pytest.mark.parametrize(
    ("stage", "sla_hours"),
    [(Stage.MANAGE, 48), (Stage.DEVELOP, 24), (Stage.DEPLOY, 24), (Stage.MONITOR, 8)],
)
def test_a_sign_off_is_due_one_sla_after_the_request(db, seeded, clock, stage, sla_hours):
    seeded.advance_to(stage)
    clock.advance(hours=7, minutes=13)

    view = seeded.request()

    assert view.requested_at == clock.now()
    assert view.due_at == clock.now() + timedelta(hours=sla_hours)
    (row,) = [h for h in rows(db, Handoff) if h.id == view.id]
    assert row.due_at - row.requested_at == timedelta(hours=sla_hours)


def test_archiving_a_project_takes_it_off_the_list(db, seeded, clock):
    seeded.advance_to(Stage.DEVELOP)

    with db.session() as s:
        archived = projects.archive_project(s, seeded.actor(CREATOR), KEY)

    assert (archived.stage, archived.archived_at) == (Stage.ARCHIVED, clock.now())
    assert actions(db)[-1] == "project.archived"
    (row,) = rows(db, Project)
    assert (row.stage, row.stage_before_archive) == (Stage.ARCHIVED, Stage.DEVELOP)
    with db.session() as s:
        assert projects.list_projects(s, T) == []
        assert [p.key for p in projects.list_projects(s, T, include_archived=True)] == [KEY]
        card = projects.project_card(s, T, KEY, seeded.policy)
    assert (card.project.stage, card.next_stages) == (Stage.ARCHIVED, [])


def test_a_persons_open_handoffs_are_those_they_sign_requested_or_list(db, seeded, clock):
    """App Home reads only these: what a lead, their delegate, the requester or a listed
    project's member needs; nobody else's hand-offs are loaded."""
    view = seeded.request(by=DS)
    outsider, delegate = "UOUTSIDER", "UDELEGATE"

    def involving(user: str, *keys: str) -> list[int]:
        with db.session() as s:
            found = handoff_queries.open_handoffs(
                s, T, seeded.policy, involving=user, also_keys=keys
            )
        return [v.id for v in found]

    assert involving(DOM) == involving(ARCH) == involving(DS) == [view.id]
    assert involving(outsider) == involving(delegate) == []
    assert involving(outsider, KEY) == [view.id]
    with db.session() as s:  # or only the ones asked for
        for ids, found in (([view.id], [view.id]), ([view.id + 1], [])):
            got = handoff_queries.open_handoffs(s, T, seeded.policy, ids=ids)
            assert [v.id for v in got] == found

    with db.session() as s:  # the domain expert goes away; their delegate now signs
        absences.go_away(
            s, Actor(T, DOM), clock.now().date(), delegate, None, clock.now(), seeded.policy
        )
    assert involving(delegate) == [view.id]
    with db.session() as s:
        among = handoff_queries.open_handoffs(s, T, seeded.policy, involving=delegate)
        waiting = handoff_queries.pending_signoffs(s, T, delegate, seeded.policy, among=among)
    assert [v.id for v in waiting] == [view.id]
