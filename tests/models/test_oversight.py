"""A project's named overseer may stop it at any time — send it back for retraining or archive
it, without holding a role — and each such act is audited as an oversight action."""

from __future__ import annotations

import pytest

from models import AuditEvent, Handoff
from models.enums import HandoffStatus, Role, Stage
from models.errors import DomainError, PermissionDenied
from models.services import dossier, projects, trail
from models.services.common import get_project
from tests.models.conftest import CREATOR, KEY, LEADS, OUTSIDER, T, actions, rows

OVERSEER = "U_OVERSEER"


def _name(db, seeded, user: str | None, by: str = CREATOR):
    with db.session() as s:
        return projects.set_overseer(s, seeded.actor(by), KEY, user)


def _archive(db, seeded, by: str):
    with db.session() as s:
        return projects.archive_project(s, seeded.actor(by), KEY)


def _sentences(db) -> list[str]:
    with db.session() as s:
        return [e.sentence for e in trail.export(s, get_project(s, T, KEY))]


def test_the_overseer_is_named_replaced_and_cleared_with_sentences(db, seeded):
    assert _name(db, seeded, OVERSEER).overseer == OVERSEER
    assert seeded.card().project.overseer == OVERSEER
    _name(db, seeded, LEADS[Role.DOMAIN_EXPERT])
    assert _name(db, seeded, None).overseer is None

    said = _sentences(db)[-3:]
    assert said == [
        f"{CREATOR} named {OVERSEER} overseer of {KEY}",
        f"{CREATOR} named {LEADS[Role.DOMAIN_EXPERT]} overseer of {KEY}, in place of {OVERSEER}",
        f"{CREATOR} removed {LEADS[Role.DOMAIN_EXPERT]} as overseer of {KEY}",
    ]


def test_only_whoever_manages_the_roster_names_the_overseer(db, seeded):
    before = actions(db)
    with pytest.raises(PermissionDenied, match="can name its overseer"):
        _name(db, seeded, OUTSIDER, by=OUTSIDER)  # else anyone could make themselves "stop"
    with pytest.raises(DomainError, match="has no overseer; nothing changed"):
        _name(db, seeded, None)
    assert actions(db) == before


def test_the_overseer_without_a_role_opens_a_retrain_hand_off(db, seeded):
    seeded.advance_to(Stage.MONITOR)
    _name(db, seeded, OVERSEER)

    view = seeded.request(by=OVERSEER, to_stage=Stage.DEVELOP)

    assert (view.transition, view.requested_by) == ("monitor → develop", OVERSEER)
    assert actions(db)[-2:] == ["handoff.requested", "oversight.handoff_requested"]
    assert _sentences(db)[-1] == f"{OVERSEER}, overseer of {KEY}, sent it back: monitor → develop"


def test_the_overseer_may_not_request_other_hand_offs(db, seeded):
    _name(db, seeded, OVERSEER)
    before = actions(db)

    with pytest.raises(PermissionDenied, match="Only members"):
        seeded.request(by=OVERSEER)  # manage → develop is the team's, not a stop

    assert actions(db) == before


def test_the_overseer_stops_the_project_even_with_a_hand_off_open(db, seeded):
    _name(db, seeded, OVERSEER)
    open_view = seeded.request()
    with pytest.raises(DomainError, match="cancel it first"):
        _archive(db, seeded, CREATOR)  # the roster's managers still cancel first

    archived = _archive(db, seeded, OVERSEER)

    assert archived.stage == Stage.ARCHIVED
    (handoff,) = rows(db, Handoff)
    assert (handoff.id, handoff.status, handoff.closed_by) == (
        open_view.id,
        HandoffStatus.CANCELLED,
        OVERSEER,
    )
    assert actions(db)[-3:] == ["handoff.cancelled", "project.archived", "oversight.archived"]
    assert _sentences(db)[-1] == (
        f"{OVERSEER}, overseer of {KEY}, stopped it: cancelled manage → develop and archived it "
        "(it was in manage)"
    )
    (stop,) = rows(db, AuditEvent, AuditEvent.action == "oversight.archived")
    assert stop.detail == {"stage": "manage", "handoff_id": open_view.id}


def test_someone_else_still_may_not_archive(db, seeded):
    _name(db, seeded, OVERSEER)
    with pytest.raises(PermissionDenied, match="archive it"):
        _archive(db, seeded, OUTSIDER)


def test_the_dossier_names_the_overseer(db, seeded):
    named = _name(db, seeded, OVERSEER)
    with db.session() as s:
        people = dossier.people_of(s, T, KEY, seeded.policy)
        built = dossier.build(s, T, KEY, seeded.policy, named.created_at)
    assert OVERSEER in people
    assert built.overseer is not None and built.overseer.id == OVERSEER
