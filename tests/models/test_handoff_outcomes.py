"""How a hand-off ends other than by approval: changes and a new round, rejection, cancelling."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models import Handoff, SignOff
from models.enums import Decision, HandoffStatus, Role, Stage
from models.errors import PermissionDenied
from models.services import handoff_queries, handoffs
from tests.models.conftest import CHANNEL, KEY, LEADS, T, actions, messages, packet_for, rows

DS, DOM, ARCH = LEADS[Role.DATA_SCIENTIST], LEADS[Role.DOMAIN_EXPERT], LEADS[Role.ML_ARCHITECT]


def test_request_changes_then_resubmit_starts_a_round_every_lead_signs_again(db, seeded, clock):
    view = seeded.request()
    seeded.decide(DOM, view.id)
    before = len(messages(db))

    asked = seeded.decide(ARCH, view.id, Decision.CHANGES_REQUESTED, "Add a baseline")

    assert (asked.handoff.status, asked.advanced) == (HandoffStatus.CHANGES_REQUESTED, False)
    assert messages(db)[before:] == [
        ("handoff.changes_requested", None, DS),
        ("handoff.updated", CHANNEL, None),
    ]
    assert actions(db)[-1] == "signoff.changes_requested"
    with db.session() as s:
        assert handoff_queries.pending_signoffs(s, T, ARCH, seeded.policy) == []
    clock.advance(hours=30)
    before = len(messages(db))

    packet = packet_for(Stage.MANAGE, Stage.DEVELOP, success_metric="AUC >= 0.85, beats baseline")
    with db.session() as s:
        again = handoffs.submit_packet(s, seeded.actor("U_DS2"), KEY, None, packet, seeded.policy)

    assert (again.id, again.round, again.status) == (view.id, 2, HandoffStatus.PENDING)
    assert [line.state for line in again.checklist] == [None, None]
    assert again.due_at == clock.now() + timedelta(hours=48)
    assert {p.key: p.value for p in again.packet}["success_metric"] == "AUC >= 0.85, beats baseline"
    assert messages(db)[before:] == [
        ("handoff.resubmitted", CHANNEL, None),
        ("handoff.signoff_requested", None, DOM),
        ("handoff.signoff_requested", None, ARCH),
    ]
    assert actions(db)[-1] == "handoff.resubmitted"

    assert not seeded.decide(ARCH, view.id).advanced  # round 1's approval by DOM no longer counts
    assert seeded.decide(DOM, view.id).advanced
    assert [(s.round, s.role, s.decision) for s in rows(db, SignOff)] == [
        (1, Role.DOMAIN_EXPERT, Decision.APPROVED),
        (1, Role.ML_ARCHITECT, Decision.CHANGES_REQUESTED),
        (2, Role.ML_ARCHITECT, Decision.APPROVED),
        (2, Role.DOMAIN_EXPERT, Decision.APPROVED),
    ]
    (row,) = rows(db, Handoff)
    assert (row.round, row.status, row.packet["success_metric"]) == (
        2,
        HandoffStatus.APPROVED,
        "AUC >= 0.85, beats baseline",
    )


def test_resubmit_takes_the_revised_packet_for_the_same_transition(db, seeded):
    view = seeded.request()
    seeded.decide(DOM, view.id, Decision.CHANGES_REQUESTED, "Which tables?")
    packet = packet_for(Stage.MANAGE, Stage.DEVELOP, data_sources="warehouse.customers only")

    with db.session() as s:
        handoff = handoff_queries.get_handoff(s, T, view.id, lock=True)
        again = handoffs.resubmit(s, seeded.actor(DS), handoff, packet, seeded.policy)

    assert (again.round, again.status, again.to_stage) == (2, HandoffStatus.PENDING, Stage.DEVELOP)
    (row,) = rows(db, Handoff)
    assert (row.round, row.packet["data_sources"]) == (2, "warehouse.customers only")
    assert row.version > view.version


def test_a_rejection_closes_the_hand_off_and_the_project_stays(db, seeded, clock):
    view = seeded.request()
    before = len(messages(db))

    result = seeded.decide(ARCH, view.id, Decision.REJECTED, "Out of scope this quarter")

    assert (result.handoff.status, result.advanced) == (HandoffStatus.REJECTED, False)
    assert result.handoff.closed_at == clock.now()
    rejected = [line for line in result.handoff.checklist if line.state == Decision.REJECTED]
    assert [(line.decided_by, line.reason) for line in rejected] == [
        (ARCH, "Out of scope this quarter")
    ]
    assert actions(db)[-2:] == ["signoff.rejected", "handoff.rejected"]
    assert messages(db)[before:] == [  # the requester and the channel are told, the card edited
        ("handoff.closed", CHANNEL, None),
        ("handoff.closed", None, view.requested_by),
        ("handoff.updated", CHANNEL, None),
    ]
    (row,) = rows(db, Handoff)
    assert (row.status, row.closed_by) == (HandoffStatus.REJECTED, ARCH)
    assert seeded.stage() == Stage.MANAGE
    assert seeded.card().open_handoff is None
    assert seeded.request().status == HandoffStatus.PENDING  # a fresh hand-off may follow


def test_the_requester_cancels_their_hand_off(db, seeded, clock):
    view = seeded.request(by="U_DS2")
    before = len(messages(db))

    with db.session() as s:
        cancelled = handoffs.cancel_handoff(s, seeded.actor("U_DS2"), KEY, seeded.policy)

    assert (cancelled.id, cancelled.status) == (view.id, HandoffStatus.CANCELLED)
    # The card is edited and the channel told; the requester cancelled it, so no DM.
    assert messages(db)[before:] == [
        ("handoff.updated", CHANNEL, None),
        ("handoff.closed", CHANNEL, None),
    ]
    assert actions(db)[-1] == "handoff.cancelled"
    (row,) = rows(db, Handoff)
    assert (row.status, row.closed_by, row.closed_at) == (
        HandoffStatus.CANCELLED,
        "U_DS2",
        clock.now(),
    )
    assert seeded.card().open_handoff is None
    assert seeded.stage() == Stage.MANAGE


def test_a_new_lead_takes_over_a_pending_sign_off(db, seeded):
    view = seeded.request()
    seeded.assign(Role.DOMAIN_EXPERT, "U_DOM2", lead=True)

    with db.session() as s:
        assert handoff_queries.pending_signoffs(s, T, DOM, seeded.policy) == []
        assert [v.id for v in handoff_queries.pending_signoffs(s, T, "U_DOM2", seeded.policy)] == [
            view.id
        ]
    with pytest.raises(PermissionDenied):
        seeded.decide(DOM, view.id)
    seeded.decide("U_DOM2", view.id)

    assert seeded.decide(ARCH, view.id).advanced
    assert [(s.role, s.user_id) for s in rows(db, SignOff)] == [
        (Role.DOMAIN_EXPERT, "U_DOM2"),
        (Role.ML_ARCHITECT, ARCH),
    ]
