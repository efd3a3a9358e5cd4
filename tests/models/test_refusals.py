"""Every refusal names what is wrong, raises the right DomainError, and changes no row at all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.orm import Session

from models import SignOff
from models.enums import Decision, HandoffStatus, Role, Stage
from models.errors import Conflict, DomainError, NotFound, PacketInvalid, PermissionDenied
from models.schemas.base import Actor
from models.services import decisions, handoff_queries, handoffs, lineage, projects, roster
from tests.models.conftest import (
    CREATOR,
    KEY,
    LEADS,
    OUTSIDER,
    T_OTHER,
    Seeded,
    T,
    actions,
    packet_for,
    rows,
    seed_project,
)

DS, DOM, ARCH = LEADS[Role.DATA_SCIENTIST], LEADS[Role.DOMAIN_EXPERT], LEADS[Role.ML_ARCHITECT]
MANAGE = packet_for(Stage.MANAGE, Stage.DEVELOP)
UNVERSIONED = packet_for(Stage.DEVELOP, Stage.DEPLOY, training_data="customers")
OTHER = Actor(T_OTHER, "U_OTHER", is_admin=True)  # even an admin of another workspace


def home(user: str, *, admin: bool = False) -> Actor:
    return Actor(T, user, is_admin=admin)


# Given: the state a refusal is tried against (its result is handed to the action).
def nothing(sd: Seeded) -> None:
    return None


def requested(sd: Seeded) -> int:
    return sd.request().id


def at_develop(sd: Seeded) -> None:
    sd.advance_to(Stage.DEVELOP)


def closed_as(status: HandoffStatus) -> Callable[[Seeded], int]:
    def given(sd: Seeded) -> int:
        hid = sd.request().id
        if status == HandoffStatus.REJECTED:
            sd.decide(ARCH, hid, Decision.REJECTED, "Out of scope")
        elif status == HandoffStatus.CANCELLED:
            with sd.db.session() as s:
                handoffs.cancel_handoff(s, home(DS), KEY, sd.policy)
        elif status == HandoffStatus.APPROVED:
            sd.approve_all(views_of(sd, hid))
        else:
            sd.decide(DOM, hid, Decision.CHANGES_REQUESTED, "Which tables?")
        return hid

    return given


def views_of(sd: Seeded, hid: int) -> Any:
    with sd.db.session() as s:
        return handoff_queries.view_by_id(s, T, hid, sd.policy)


def archived(sd: Seeded) -> None:
    with sd.db.session() as s:
        projects.archive_project(s, home(CREATOR), KEY)


def without_architect(sd: Seeded) -> None:
    seed_project(sd.db, key="no-architect", without=(Role.ML_ARCHITECT,))


def request(actor: Actor, key: str = KEY, to: Stage | None = None, packet: Any = None) -> Any:
    packet = MANAGE if packet is None else packet
    return lambda s, sd, g: handoffs.request_handoff(s, actor, key, to, packet, sd.policy)


def decide(user: str, decision: Decision = Decision.APPROVED, reason: str | None = None) -> Any:
    return lambda s, sd, hid: decisions.decide(s, home(user), hid, decision, sd.policy, reason)


def assign(actor: Actor, role: Role = Role.DATA_ANALYST, user: str = "U_NEW") -> Any:
    return lambda s, sd, g: roster.assign_role(s, actor, KEY, role, user, lead=True)


def cancel(actor: Actor) -> Any:
    return lambda s, sd, g: handoffs.cancel_handoff(s, actor, KEY, sd.policy)


def create(actor: Actor, key: str = KEY) -> Any:
    return lambda s, sd, g: projects.create_project(s, actor, key, None, "C_X")


def archive(actor: Actor) -> Any:
    return lambda s, sd, g: projects.archive_project(s, actor, KEY)


@dataclass(frozen=True)
class Refusal:
    given: Callable[[Seeded], Any]
    when: Callable[[Session, Seeded, Any], Any]
    error: type[DomainError]
    says: tuple[str, ...]
    fields: tuple[str, ...] = ()  # PacketInvalid: the fields it names


def missing(key: str) -> dict[str, str]:
    return {k: v for k, v in MANAGE.items() if k != key}


def remove(actor: Actor, role: Role, user: str) -> Any:
    return lambda s, sd, g: roster.remove_role(s, actor, KEY, role, user)


E, C, N, P, D = DomainError, Conflict, NotFound, PacketInvalid, PermissionDenied
REJECTED, CANCELLED = closed_as(HandoffStatus.REJECTED), closed_as(HandoffStatus.CANCELLED)
APPROVED, CHANGES = closed_as(HandoffStatus.APPROVED), closed_as(HandoffStatus.CHANGES_REQUESTED)
NO_PROJECT = ("No project 'churn-model' in this workspace",)
NO_HANDOFF = ("That hand-off does not exist in this workspace",)

CASES: dict[str, Refusal] = {
    "invalid key: upper case": Refusal(nothing, create(home(CREATOR), "Churn_Model"), E,
                                       ("'Churn_Model' is not a valid project key",)),
    "invalid key: too short": Refusal(nothing, create(home(CREATOR), "x"), E,
                                      ("'x' is not a valid project key", "2–40")),
    "invalid key: too long": Refusal(nothing, create(home(CREATOR), "a" * 41), E,
                                     ("is not a valid project key",)),
    "duplicate project": Refusal(nothing, create(home("U_SOMEONE")), C,
                                 ("'churn-model' already exists",)),
    "transition the policy lacks": Refusal(nothing, request(home(DS), to=Stage.DEPLOY), E,
                                           ("in manage", "to deploy", "can go to: develop")),
    "missing packet field": Refusal(nothing, request(home(DS), packet=missing("success_metric")), P,
                                    ("Success metric is required",), ("success_metric",)),
    "blank packet field": Refusal(nothing, request(home(DS), packet={**MANAGE, "objective": " "}), P,
                                  ("Objective is required",), ("objective",)),
    "training data without version": Refusal(at_develop, request(home(DS), packet=UNVERSIONED), P,
                                             ("must name its version",), ("training_data",)),
    "unknown packet field": Refusal(nothing, request(home(DS), packet={**MANAGE, "colour": "red"}), P,
                                    ("colour: not a field of the manage → develop packet",), ("colour",)),
    "no lead for a required role": Refusal(without_architect, request(home(DS), key="no-architect"), E,
                                           ("No lead for ML architect", "role assign no-architect")),
    "member approves": Refusal(requested, decide("U_DS2"), D,
                               ("Only the lead of a required role", "Domain expert", "ML architect")),
    "lead of another role approves": Refusal(requested, decide(LEADS[Role.SOFTWARE_DEVELOPER]), D,
                                             ("Only the lead of a required role",)),
    "non-member requests": Refusal(nothing, request(home(OUTSIDER)), D, ("Only members of 'churn-model'",)),
    "roleless creator requests": Refusal(nothing, request(home(CREATOR)), D, ("Only members of",)),
    "non-manager assigns": Refusal(nothing, assign(home(DS)), D,
                                   ("Only the creator of 'churn-model', its ML architect lead or a Baton admin",)),
    "non-manager removes": Refusal(nothing, remove(home(DS), Role.DATA_ENGINEER, "U_DE2"), D,
                                   ("Only the creator",)),
    "removing a role not held": Refusal(nothing, remove(home(CREATOR), Role.DATA_ANALYST, "U_DE2"), N,
                                        ("That person does not hold the Data analyst role",)),
    "second open hand-off": Refusal(requested, request(home("U_DS2")), C,
                                    ("already has an open hand-off", "manage → develop")),
    "deciding a rejected hand-off": Refusal(REJECTED, decide(DOM), E, ("already rejected",)),
    "deciding a cancelled hand-off": Refusal(CANCELLED, decide(DOM), E, ("already cancelled",)),
    "deciding an approved hand-off": Refusal(APPROVED, decide(DOM, Decision.REJECTED, "late"), E,
                                             ("already approved",)),
    "deciding while changes are asked": Refusal(CHANGES, decide(ARCH), E, ("Changes were requested",)),
    "request changes without reason": Refusal(requested, decide(DOM, Decision.CHANGES_REQUESTED, " "), E,
                                              ("a reason is required",)),
    "reject without reason": Refusal(requested, decide(DOM, Decision.REJECTED), E, ("a reason is required",)),
    "cancel by a non-requester": Refusal(requested, cancel(home("U_DS2")), D,
                                         ("Only the person who requested this hand-off",)),
    "cancel with nothing open": Refusal(nothing, cancel(home(DS)), E, ("no open hand-off to cancel",)),
    "archive with an open hand-off": Refusal(requested, archive(home(CREATOR)), E,
                                             ("has an open hand-off", "handoff cancel churn-model")),
    "non-manager archives": Refusal(nothing, archive(home(DS)), D, ("Only the creator",)),
    "archived: request": Refusal(archived, request(home(DS)), E, ("'churn-model' is archived",)),
    "archived: assign": Refusal(archived, assign(home(CREATOR)), E, ("'churn-model' is archived",)),
    "archived: archive again": Refusal(archived, archive(home(CREATOR)), E, ("already archived",)),
    "archived: cancel": Refusal(archived, cancel(home(DS)), E, ("'churn-model' is archived",)),
    "archived: key stays taken": Refusal(archived, create(home(CREATOR)), C, ("already exists",)),
    "other workspace: card": Refusal(nothing, lambda s, sd, g: projects.project_card(s, T_OTHER, KEY, sd.policy),
                                     N, NO_PROJECT),
    "other workspace: request": Refusal(nothing, request(OTHER), N, NO_PROJECT),
    "other workspace: decide": Refusal(requested, lambda s, sd, hid: decisions.decide(
                                           s, OTHER, hid, Decision.APPROVED, sd.policy), N, NO_HANDOFF),
    "other workspace: view": Refusal(requested, lambda s, sd, hid: handoff_queries.view_by_id(s, T_OTHER, hid, sd.policy),
                                     N, NO_HANDOFF),
    "other workspace: assign": Refusal(nothing, assign(OTHER), N, NO_PROJECT),
    "other workspace: cancel": Refusal(requested, cancel(OTHER), N, NO_PROJECT),
    "other workspace: archive": Refusal(nothing, archive(OTHER), N, NO_PROJECT),
    "other workspace: lineage": Refusal(nothing, lambda s, sd, g: lineage.lineage_of(s, T_OTHER, KEY), N, NO_PROJECT),
    "other workspace: roles": Refusal(nothing, lambda s, sd, g: roster.roster_of(s, T_OTHER, KEY), N, NO_PROJECT),
    "other workspace: hand-offs of key": Refusal(requested, lambda s, sd, g: handoff_queries.open_handoffs(
                                                     s, T_OTHER, sd.policy, KEY), N, NO_PROJECT),
}  # fmt: skip


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_a_refusal_names_the_problem_and_changes_nothing(db, seeded, case: Refusal):
    given = case.given(seeded)
    before = db.dump()

    with pytest.raises(DomainError) as refused, db.session() as s:
        case.when(s, seeded, given)

    assert type(refused.value) is case.error
    for fragment in case.says:
        assert fragment in refused.value.message
    if case.fields:
        assert isinstance(refused.value, PacketInvalid)
        assert sorted(refused.value.errors) == sorted(case.fields)
    assert db.dump() == before


def test_workspaces_have_their_own_keys(db, seeded):
    with db.session() as s:
        theirs = projects.create_project(s, Actor(T_OTHER, "U_OTHER"), KEY, "Their churn", "C_T")

    assert (theirs.key, theirs.name) == (KEY, "Their churn")
    with db.session() as s:
        assert [p.name for p in projects.list_projects(s, T_OTHER)] == ["Their churn"]
        assert [p.name for p in projects.list_projects(s, T)] == ["Churn model"]
        # their project has no roster yet: ours stays out of it
        assert all(r.lead is None for r in roster.roster_of(s, T_OTHER, KEY))
    assert actions(db, T_OTHER) == ["project.created"]


def test_another_workspace_sees_none_of_our_open_hand_offs(db, seeded):
    seeded.request()

    with db.session() as s:
        assert handoff_queries.open_handoffs(s, T_OTHER, seeded.policy) == []
        assert handoff_queries.pending_signoffs(s, T_OTHER, DOM, seeded.policy) == []
        assert roster.my_projects(s, T_OTHER, DS) == []


def test_an_admin_may_assign_roles_and_decide_for_every_pending_role(db, seeded):
    admin = home("U_ADMIN", admin=True)
    with db.session() as s:
        holders = roster.assign_role(s, admin, KEY, Role.COMPLIANCE, "U_LEGAL", lead=True)
    assert next(h for h in holders if h.role == Role.COMPLIANCE).lead == "U_LEGAL"
    view = seeded.request()

    result = seeded.decide("U_ADMIN", view.id, admin=True)

    assert (result.changed, result.advanced, result.handoff.status) == (
        True,
        True,
        HandoffStatus.APPROVED,
    )
    assert [(r.role, r.user_id, r.as_admin) for r in rows(db, SignOff)] == [
        (Role.DOMAIN_EXPERT, "U_ADMIN", True),
        (Role.ML_ARCHITECT, "U_ADMIN", True),
    ]
    assert seeded.stage() == Stage.DEVELOP


def test_the_ml_architect_lead_may_assign_roles(db, seeded):
    seeded.assign(Role.DATA_ANALYST, "U_DA2", by=ARCH)

    with db.session() as s:
        (analysts,) = [h for h in roster.roster_of(s, T, KEY) if h.role == Role.DATA_ANALYST]
    assert analysts.members == [LEADS[Role.DATA_ANALYST], "U_DA2"]
