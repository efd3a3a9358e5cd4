"""Who may do what: every role's lead and member, the creator, an outsider and an admin, against
every action, generated as one table. A denial raises PermissionDenied and changes nothing."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from models import AuditEvent, Handoff, Monitor, Project, RoleAssignment, SignOff
from models.enums import Decision, HandoffStatus, Role, Stage
from models.errors import PermissionDenied
from models.policy import DEFAULT_POLICY
from models.schemas.base import Actor
from models.services import decisions, handoffs, monitoring, projects, roster
from tests.conftest import Database
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
    audited: str  # the audit action an allowed actor's call records, in their name
    done: Callable[[Database, str], bool]  # the action's own effect is in the database


def _decide(decision: Decision) -> Callable[[object, Actor, Seeded], object]:
    def run(s: object, actor: Actor, seeded: Seeded) -> object:
        handoff_id = seeded.card().open_handoff.id
        return decisions.decide(s, actor, handoff_id, decision, DEFAULT_POLICY, reason="because")

    return run


def _signed(decision: Decision) -> Callable[[Database, str], bool]:
    def done(db: Database, user: str) -> bool:
        # A lead signs their role; an admin may sign every pending one.
        signed = _select(db, SignOff.decision, SignOff.user_id)
        return bool(signed) and all(tuple(row) == (decision, user) for row in signed)

    return done


def _select(db: Database, *columns: Any, where: Any = True) -> list[Any]:
    with db.session() as s:
        return list(s.execute(select(*columns).where(where)).all())


def _trail(db: Database) -> list[tuple[str, str]]:
    with db.session() as s:
        rows = s.execute(select(AuditEvent.action, AuditEvent.actor).order_by(AuditEvent.id))
        return [(action, actor) for action, actor in rows]


def _handoffs(db: Database) -> list[tuple[HandoffStatus, str]]:
    return [(st, by) for st, by in _select(db, Handoff.status, Handoff.requested_by)]


ACTIONS: dict[str, Action] = {
    "assign role": Action(
        lambda s, a, _: roster.assign_role(s, a, KEY, Role.DATA_ANALYST, "U_NEW"),
        False,
        frozenset(MANAGERS),
        "role.assigned",
        lambda db, _: bool(_select(db, RoleAssignment.id, where=RoleAssignment.user_id == "U_NEW")),
    ),
    "request hand-off": Action(
        lambda s, a, _: handoffs.request_handoff(
            s, a, KEY, None, PACKETS[next(iter(PACKETS))], DEFAULT_POLICY
        ),
        False,
        frozenset(MEMBERS_ALL),
        "handoff.requested",
        lambda db, user: _handoffs(db) == [(HandoffStatus.PENDING, user)],
    ),
    "approve": Action(
        _decide(Decision.APPROVED),
        True,
        frozenset(DECIDERS),
        "signoff.approved",
        _signed(Decision.APPROVED),
    ),
    "request changes": Action(
        _decide(Decision.CHANGES_REQUESTED),
        True,
        frozenset(DECIDERS),
        "signoff.changes_requested",
        _signed(Decision.CHANGES_REQUESTED),
    ),
    "reject": Action(
        _decide(Decision.REJECTED),
        True,
        frozenset(DECIDERS),
        "signoff.rejected",
        _signed(Decision.REJECTED),
    ),
    "cancel": Action(
        lambda s, a, _: handoffs.cancel_handoff(s, a, KEY, DEFAULT_POLICY),
        True,
        frozenset({REQUESTER, "admin"}),
        "handoff.cancelled",
        lambda db, _: [st for st, _ in _handoffs(db)] == [HandoffStatus.CANCELLED],
    ),
    "archive": Action(
        lambda s, a, _: projects.archive_project(s, a, KEY),
        False,
        frozenset(MANAGERS),
        "project.archived",
        lambda db, _: _select(db, Project.stage) == [(Stage.ARCHIVED,)],
    ),
    "monitor add": Action(
        lambda s, a, _: monitoring.add_monitor(s, a, KEY, "auc", "min", 0.8),
        False,
        frozenset(MEMBERS_ALL),
        "monitor.added",
        lambda db, user: _select(db, Monitor.metric, Monitor.created_by) == [("auc", user)],
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
        audited_before = len(_trail(db))
        assert not spec.done(db, actor.user_id)
        with db.session() as s:
            spec.run(s, actor, seeded)
        assert spec.done(db, actor.user_id)
        new_events = _trail(db)[audited_before:]
        assert new_events[0] == (spec.audited, actor.user_id)
    else:
        with pytest.raises(PermissionDenied), db.session() as s:
            spec.run(s, actor, seeded)
        assert db.dump() == before
