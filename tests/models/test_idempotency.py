"""Double clicks and retries record one decision; role changes keep their history."""

from __future__ import annotations

import pytest
from sqlalchemy.exc import IntegrityError

from models import Project, RoleAssignment, SignOff
from models.base import utcnow
from models.enums import Decision, HandoffStatus, Role
from models.errors import DomainError
from models.services import roster
from tests.models.conftest import CREATOR, KEY, LEADS, MEMBERS, T, actions, messages, rows

DS, DOM, ARCH = LEADS[Role.DATA_SCIENTIST], LEADS[Role.DOMAIN_EXPERT], LEADS[Role.ML_ARCHITECT]


@pytest.mark.parametrize(
    ("decision", "reason", "status"),
    [
        (Decision.APPROVED, None, HandoffStatus.PENDING),
        (Decision.CHANGES_REQUESTED, "Which tables?", HandoffStatus.CHANGES_REQUESTED),
        (Decision.REJECTED, "Out of scope", HandoffStatus.REJECTED),
    ],
)
def test_a_second_identical_decision_changes_nothing(db, seeded, decision, reason, status):
    view = seeded.request()
    first = seeded.decide(DOM, view.id, decision, reason)
    before = db.dump()

    again = seeded.decide(DOM, view.id, decision, reason)

    assert (first.changed, again.changed, again.advanced) == (True, False, False)
    assert again.handoff == first.handoff
    assert again.handoff.status == status
    assert db.dump() == before
    assert len(rows(db, SignOff)) == 1


def test_a_repeated_final_approval_advances_the_project_once(db, seeded):
    view = seeded.request()
    seeded.decide(DOM, view.id)
    assert seeded.decide(ARCH, view.id).advanced
    before = db.dump()

    again = seeded.decide(ARCH, view.id)

    assert (again.changed, again.advanced, again.handoff.status) == (
        False,
        False,
        HandoffStatus.APPROVED,
    )
    assert db.dump() == before
    assert actions(db).count("project.stage_changed") == 1
    assert [m[0] for m in messages(db)].count("project.advanced") == 1


def test_an_admins_double_click_is_a_no_op_too(db, seeded):
    view = seeded.request()
    seeded.decide(DOM, view.id)
    first = seeded.decide("U_ADMIN", view.id, admin=True)  # decides the ML architect's part
    assert (first.changed, first.advanced) == (True, True)
    before = db.dump()

    again = seeded.decide("U_ADMIN", view.id, admin=True)

    assert (again.changed, again.advanced, again.handoff.status) == (
        False,
        False,
        HandoffStatus.APPROVED,
    )
    assert db.dump() == before


def test_a_lead_cannot_change_their_decision_within_a_round(db, seeded):
    view = seeded.request()
    seeded.decide(DOM, view.id)
    before = db.dump()

    with pytest.raises(DomainError, match=r"You already decided this round \(approved\)"):
        seeded.decide(DOM, view.id, Decision.REJECTED, "Changed my mind")

    assert db.dump() == before
    (signoff,) = rows(db, SignOff)
    assert (signoff.user_id, signoff.decision) == (DOM, Decision.APPROVED)


def test_a_user_leading_two_required_roles_decides_for_both_at_once(db, seeded):
    seeded.assign(Role.ML_ARCHITECT, DOM, lead=True)
    view = seeded.request()

    result = seeded.decide(DOM, view.id)

    assert result.advanced
    assert [(s.role, s.user_id) for s in rows(db, SignOff)] == [
        (Role.DOMAIN_EXPERT, DOM),
        (Role.ML_ARCHITECT, DOM),
    ]
    assert actions(db).count("signoff.approved") == 1
    # the combined lead gets one request, not two
    assert [m[2] for m in messages(db) if m[0] == "handoff.signoff_requested"] == [DOM]


@pytest.mark.parametrize("lead", [False, True], ids=["member", "lead"])
def test_assigning_a_role_someone_already_holds_changes_nothing(db, seeded, lead):
    user = LEADS[Role.DATA_SCIENTIST] if lead else MEMBERS[Role.DATA_SCIENTIST][0]
    before = db.dump()

    seeded.assign(Role.DATA_SCIENTIST, user, lead=lead)

    assert db.dump() == before


def test_assigning_the_lead_as_a_plain_member_keeps_them_lead(db, seeded):
    before = db.dump()

    seeded.assign(Role.DATA_SCIENTIST, DS)

    assert db.dump() == before


def test_a_new_lead_demotes_the_old_one_to_member_and_keeps_history(db, seeded, clock):
    clock.advance(hours=2)

    seeded.assign(Role.DATA_SCIENTIST, "U_NEWDS", lead=True, by=ARCH)

    with db.session() as s:
        (scientists,) = [h for h in roster.roster_of(s, T, KEY) if h.role == Role.DATA_SCIENTIST]
    assert scientists.lead == "U_NEWDS"
    assert sorted(scientists.members) == sorted([DS, "U_DS2", "U_NEWDS"])
    history = rows(db, RoleAssignment, RoleAssignment.role == Role.DATA_SCIENTIST)
    summary = [(a.user_id, a.is_lead, a.removed_at is None) for a in history]
    assert summary == [
        (DS, True, False),  # the old lead row, ended
        ("U_DS2", False, True),
        (DS, False, True),  # the old lead, now a member
        ("U_NEWDS", True, True),
    ]
    assert (history[0].removed_at, history[0].removed_by) == (clock.now(), ARCH)
    assert actions(db)[-2:] == ["role.lead_changed", "role.assigned"]
    assert messages(db)[-1] == ("role.assigned", None, "U_NEWDS")


def test_promoting_a_member_ends_their_member_row(db, seeded):
    seeded.assign(Role.DATA_SCIENTIST, "U_DS2", lead=True)

    active = rows(
        db,
        RoleAssignment,
        RoleAssignment.role == Role.DATA_SCIENTIST,
        RoleAssignment.removed_at.is_(None),
    )
    assert sorted((a.user_id, a.is_lead) for a in active) == [(DS, False), ("U_DS2", True)]
    ended = rows(db, RoleAssignment, RoleAssignment.removed_at.is_not(None))
    assert sorted((a.user_id, a.is_lead) for a in ended) == [(DS, True), ("U_DS2", False)]


def _raw_assignment(project_id: int, user: str, *, lead: bool) -> RoleAssignment:
    return RoleAssignment(
        team_id=T,
        project_id=project_id,
        role=Role.DATA_ANALYST,
        user_id=user,
        is_lead=lead,
        assigned_by=CREATOR,
    )


def test_the_database_refuses_two_active_leads_for_one_role(db, seeded):
    (project,) = rows(db, Project)
    before = db.dump()

    with pytest.raises(IntegrityError), db.session() as s:
        s.add(_raw_assignment(project.id, "U_SECOND_LEAD", lead=True))

    assert db.dump() == before


def test_the_database_refuses_a_second_active_row_for_one_member(db, seeded):
    (project,) = rows(db, Project)

    with pytest.raises(IntegrityError), db.session() as s:
        s.add(_raw_assignment(project.id, LEADS[Role.DATA_ANALYST], lead=False))


def test_ended_rows_do_not_count_against_the_unique_indexes(db, seeded):
    (project,) = rows(db, Project)
    with db.session() as s:
        for user in ("U_A", "U_B"):
            ended = _raw_assignment(project.id, user, lead=True)
            ended.removed_at = utcnow()
            s.add(ended)
            s.flush()

    leads = rows(db, RoleAssignment, RoleAssignment.role == Role.DATA_ANALYST)
    assert [(a.user_id, a.is_lead, a.active) for a in leads] == [
        (LEADS[Role.DATA_ANALYST], True, True),
        ("U_A", True, False),
        ("U_B", True, False),
    ]
