"""Who may do what: every role's lead and member, the creator, an outsider and an admin, against
every action, generated as one table. A denial raises PermissionDenied and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from models.enums import Decision, Role
from models.errors import PermissionDenied
from models.policy import DEFAULT_POLICY
from models.schemas import Actor
from models.services import decisions, handoffs, monitoring, projects, roster
from tests.models.conftest import CREATOR, KEY, LEADS, MEMBERS, OUTSIDER, PACKETS, Seeded, T

ADMIN = "U_ADMIN"
ACTORS: dict[str, str] = {
    **{f"{role.value} lead": user for role, user in LEADS.items()},
    **{f"{role.value} member": users[0] for role, users in MEMBERS.items()},
    "creator": CREATOR,
    "outsider": OUTSIDER,
    "admin": ADMIN,
}
MANAGERS = {"creator", "ml_architect lead", "admin"}
MEMBERS_ALL = {name for name in ACTORS if name not in ("creator", "outsider")}
# manage → develop is signed by the domain expert and ML architect leads.
DECIDERS = {"domain_expert lead", "ml_architect lead", "admin"}
REQUESTER = "data_scientist lead"


@dataclass(frozen=True)
class Action:
    run: Callable[[object, Actor, Seeded], object]
    needs_open_handoff: bool
    allowed: frozenset[str]


def _decide(decision: Decision) -> Callable[[object, Actor, Seeded], object]:
    def run(s: object, actor: Actor, seeded: Seeded) -> object:
        handoff_id = seeded.card().open_handoff.id
        return decisions.decide(s, actor, handoff_id, decision, DEFAULT_POLICY, reason="because")

    return run


ACTIONS: dict[str, Action] = {
    "assign role": Action(
        lambda s, a, _: roster.assign_role(s, a, KEY, Role.DATA_ANALYST, "U_NEW"),
        False,
        frozenset(MANAGERS),
    ),
    "request hand-off": Action(
        lambda s, a, _: handoffs.request_handoff(
            s, a, KEY, None, PACKETS[next(iter(PACKETS))], DEFAULT_POLICY
        ),
        False,
        frozenset(MEMBERS_ALL),
    ),
    "approve": Action(_decide(Decision.APPROVED), True, frozenset(DECIDERS)),
    "request changes": Action(_decide(Decision.CHANGES_REQUESTED), True, frozenset(DECIDERS)),
    "reject": Action(_decide(Decision.REJECTED), True, frozenset(DECIDERS)),
    "cancel": Action(
        lambda s, a, _: handoffs.cancel_handoff(s, a, KEY, DEFAULT_POLICY),
        True,
        frozenset({REQUESTER, "admin"}),
    ),
    "archive": Action(
        lambda s, a, _: projects.archive_project(s, a, KEY), False, frozenset(MANAGERS)
    ),
    "monitor add": Action(
        lambda s, a, _: monitoring.add_monitor(s, a, KEY, "auc", "min", 0.8),
        False,
        frozenset(MEMBERS_ALL),
    ),
}

CASES = [(action, who) for action in ACTIONS for who in ACTORS]


@pytest.mark.parametrize(("action", "who"), CASES, ids=[f"{a}-{w}" for a, w in CASES])
def test_authorization_matrix(db, seeded: Seeded, action: str, who: str) -> None:
    spec = ACTIONS[action]
    if spec.needs_open_handoff:
        seeded.request()
    actor = Actor(T, ACTORS[who], is_admin=who == "admin")
    before = db.dump()
    if who in spec.allowed:
        with db.session() as s:
            spec.run(s, actor, seeded)
        assert db.dump() != before
    else:
        with pytest.raises(PermissionDenied), db.session() as s:
            spec.run(s, actor, seeded)
        assert db.dump() == before
