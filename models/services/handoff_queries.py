"""Read models of hand-offs: the card, open hand-offs, my pending sign-offs."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import ColumnElement, Row, Select, bindparam, or_, select
from sqlalchemy.orm import Session, joinedload

from models.base import utcnow
from models.columns import fits_row_id
from models.enums import OPEN_HANDOFF_STATUSES, Decision, HandoffStatus, Role
from models.errors import NotFound
from models.handoff import Handoff, SignOff
from models.policy import Policy, Transition
from models.project import Project
from models.roster import RoleAssignment
from models.schemas.projects import HandoffView, PacketLine, SignOffLine
from models.services.absences import away_of
from models.services.common import get_project, leads_by_project
from models.services.policy_history import rules_from, rules_in_force
from models.signers import Away, signer_for

# Built once (composing a select costs more CPU than running it); parameters per call.
_OPEN_HANDOFF = (
    select(Handoff)
    .options(joinedload(Handoff.signoffs))  # one statement, not a second select for these
    .where(
        Handoff.team_id == bindparam("team_id"),
        Handoff.project_id == bindparam("project_id"),
        Handoff.status.in_(OPEN_HANDOFF_STATUSES),
    )
)
# Open hand-offs with their projects, oldest first: the lists' order.
_OPEN = (
    select(Handoff, Project)
    .join(Project, Project.id == Handoff.project_id)
    .where(Handoff.status.in_(OPEN_HANDOFF_STATUSES))
    .order_by(Handoff.requested_at, Handoff.id)
)
# App Home's cheap pass: only the columns that decide whom an open hand-off waits on.
_HOME_ROWS = (
    select(
        Handoff.id,
        Handoff.project_id,
        Handoff.status,
        Handoff.round,
        Handoff.required_roles,
        Handoff.requested_by,
        Handoff.from_stage,
        Handoff.to_stage,
        Handoff.policy_version,
        Handoff.policy_snapshot,
        Project.key,
    )
    .join(Project, Project.id == Handoff.project_id)
    .where(Handoff.status.in_(OPEN_HANDOFF_STATUSES))
    .order_by(Handoff.requested_at, Handoff.id)
)
_THIS_ROUND = (  # the roles already decided in each open hand-off's current round
    select(SignOff.handoff_id, SignOff.role)
    .join(Handoff, (Handoff.id == SignOff.handoff_id) & (Handoff.round == SignOff.round))
    .join(Project, Project.id == Handoff.project_id)
    .where(Handoff.status.in_(OPEN_HANDOFF_STATUSES))
)
_HANDOFF_BY_ID = select(Handoff).where(
    Handoff.team_id == bindparam("team_id"), Handoff.id == bindparam("handoff_id")
)
# Deciders queue here, so each reads the sign-offs the previous one committed. (Not joined:
# after the lock wait, PostgreSQL re-reads the locked row but not rows joined to it.)
_HANDOFF_BY_ID_LOCKED = _HANDOFF_BY_ID.with_for_update().execution_options(populate_existing=True)


def open_handoff_of(s: Session, project: Project) -> Handoff | None:
    """The open hand-off with its sign-offs."""
    params = {"team_id": project.team_id, "project_id": project.id}
    return s.scalars(_OPEN_HANDOFF, params).unique().one_or_none()


def get_handoff(s: Session, team_id: str, handoff_id: int, *, lock: bool = False) -> Handoff:
    if not fits_row_id(handoff_id):  # no row has it, and PostgreSQL's integer cannot compare it
        raise NotFound("That hand-off does not exist in this workspace.")
    query = _HANDOFF_BY_ID_LOCKED if lock else _HANDOFF_BY_ID
    handoff = s.scalars(query, {"team_id": team_id, "handoff_id": handoff_id}).one_or_none()
    if handoff is None:
        raise NotFound("That hand-off does not exist in this workspace.")
    return handoff


def handoff_view(
    s: Session,
    h: Handoff,
    policy: Policy,
    leads: dict[tuple[int, Role], str] | None = None,
    project: Project | None = None,
    away: Away | None = None,
) -> HandoffView:
    project = project or s.get(Project, h.project_id)
    assert project is not None
    leads = leads if leads is not None else leads_by_project(s, h.team_id, {h.project_id})
    rules = rules_in_force(h, policy)  # once: reading the snapshot validates it
    away = away_of(s, h.team_id, utcnow()) if away is None else away
    return view_of(
        h, h.team_id, project, packet_of(h.packet, rules), _checklist(h, leads, rules, away)
    )


def view_of(
    h: Handoff | Row[Any],
    team_id: str,
    project: Project | Row[Any],
    packet: list[PacketLine],
    checklist: list[SignOffLine],
) -> HandoffView:
    """A hand-off's view from its ORM row or the same columns as a Core row (the status
    card's), with its project (key, name, channel), packet and checklist."""
    return HandoffView.trusted(
        id=h.id,
        team_id=team_id,
        project_key=project.key,
        project_name=project.name,
        channel_id=project.channel_id,
        from_stage=h.from_stage,
        to_stage=h.to_stage,
        status=h.status,
        round=h.round,
        packet=packet,
        checklist=checklist,
        requested_by=h.requested_by,
        requested_at=h.requested_at,
        due_at=h.due_at,
        closed_at=h.closed_at,
        closed_by=h.closed_by,
        version=h.version,
    )


def view_by_id(s: Session, team_id: str, handoff_id: int, policy: Policy) -> HandoffView:
    return handoff_view(s, get_handoff(s, team_id, handoff_id), policy)


def open_handoffs(
    s: Session,
    team_id: str,
    policy: Policy,
    key: str | None = None,
    *,
    involving: str | None = None,
    also_keys: Collection[str] = (),
    ids: Collection[int] | None = None,
) -> list[HandoffView]:
    """Open hand-offs, oldest first, in a fixed number of queries whatever their count.
    `involving`: only those this user could sign (they or someone they stand in for leads a
    role), requested, or that belong to `also_keys`; `ids`: only these. The rest are never
    loaded."""
    away = away_of(s, team_id, utcnow())  # once for the list, not per hand-off
    query = _OPEN.where(Handoff.team_id == team_id)
    if key is not None:
        query = query.where(Project.id == get_project(s, team_id, key).id)
    if involving is not None:
        query = query.where(_involving(team_id, involving, away, also_keys))
    if ids is not None:
        query = query.where(Handoff.id.in_(list(ids)))
    return _views(s, team_id, policy, query, away)


def _views(
    s: Session, team_id: str, policy: Policy, query: Select, away: Away
) -> list[HandoffView]:
    rows = s.execute(query).all()
    leads = leads_by_project(s, team_id, {p.id for _, p in rows})
    return [handoff_view(s, h, policy, leads, p, away) for h, p in rows]


def _involving(
    team_id: str, user_id: str, away: Away, also_keys: Collection[str]
) -> ColumnElement[bool]:
    # A signer is a role's lead, their delegate while they are away, or the ML architect lead
    # (a lead too): so a hand-off can wait on this user only where they, or someone they
    # stand in for, lead a role.
    people = {user_id} | {person for person, delegate in away.items() if delegate == user_id}
    leads = select(RoleAssignment.project_id).where(
        RoleAssignment.team_id == team_id,
        RoleAssignment.user_id.in_(people),
        RoleAssignment.is_lead.is_(True),
        RoleAssignment.removed_at.is_(None),
    )
    return or_(
        Handoff.project_id.in_(leads),
        Handoff.requested_by == user_id,
        Project.key.in_(list(also_keys)),
    )


@dataclass(frozen=True)
class HomeHandoffs:
    """The open hand-offs App Home shows: the first few of each list in full, and each list's
    exact length (Home says how many more there are)."""

    pending: list[HandoffView]  # waiting on the viewer's sign-off, oldest first
    pending_count: int
    resubmit: list[HandoffView]  # sent back to the viewer for changes, oldest first
    resubmit_count: int
    open_by_key: dict[str, HandoffView]  # the open hand-off of each of `keys`


def home_handoffs(
    s: Session,
    team_id: str,
    user_id: str,
    policy: Policy,
    keys: Collection[str],
    *,
    cards: int,
    resubmits: int,
) -> HomeHandoffs:
    """What waits on this user, decided from plain columns by the one signer rule; full views
    only for the `cards` pending and `resubmits` sent-back ones Home shows, and for `keys`.
    (One user may lead every project: building a view of each of 1,000 open hand-offs cost
    ~300 ms per Home, and Home shows eight.)"""
    away = away_of(s, team_id, utcnow())
    concerns = _involving(team_id, user_id, away, keys)
    rows = s.execute(_HOME_ROWS.where(Handoff.team_id == team_id, concerns)).all()
    if not rows:  # nothing open concerns them: no more statements
        return HomeHandoffs(
            pending=[], pending_count=0, resubmit=[], resubmit_count=0, open_by_key={}
        )
    decided: dict[int, set[Role]] = {}
    for handoff_id, role in s.execute(_THIS_ROUND.where(Handoff.team_id == team_id, concerns)):
        decided.setdefault(handoff_id, set()).add(role)
    leads: dict[int, dict[Role, str]] = {}
    for (project_id, role), lead in leads_by_project(
        s, team_id, {r.project_id for r in rows}
    ).items():
        leads.setdefault(project_id, {})[role] = lead
    rules: dict[tuple[str, str, str], Transition | None] = {}  # parsed once per kind of rules
    pending, resubmit, open_ids = [], [], {}
    for r in rows:
        if r.status == HandoffStatus.PENDING:
            # A version names its snapshot (both are written at request time), so hand-offs
            # of one version and transition share their rules; so do those without a snapshot.
            rule_key = (r.policy_version or "", r.from_stage, r.to_stage)
            if rule_key not in rules or (r.policy_snapshot and not r.policy_version):
                rules[rule_key] = rules_from(r.policy_snapshot, r.from_stage, r.to_stage, policy)
            required = [Role(role) for role in r.required_roles]
            undecided = [role for role in required if role not in decided.get(r.id, ())]
            own = leads.get(r.project_id, {})
            if any(
                signer_for(role, own, r.requested_by, rules[rule_key], away, required).user
                == user_id
                for role in undecided
            ):
                pending.append(r.id)
        elif r.status == HandoffStatus.CHANGES_REQUESTED and r.requested_by == user_id:
            resubmit.append(r.id)
        if r.key in keys:
            open_ids[r.key] = r.id
    shown = {*pending[:cards], *resubmit[:resubmits], *open_ids.values()}
    views = {
        v.id: v
        for v in _views(
            s, team_id, policy, _OPEN.where(Handoff.team_id == team_id, Handoff.id.in_(shown)), away
        )
    }
    return HomeHandoffs(
        pending=[views[i] for i in pending[:cards] if i in views],
        pending_count=len(pending),
        resubmit=[views[i] for i in resubmit[:resubmits] if i in views],
        resubmit_count=len(resubmit),
        open_by_key={k: views[i] for k, i in open_ids.items() if i in views},
    )


def pending_signoffs(
    s: Session,
    team_id: str,
    user_id: str,
    policy: Policy,
    among: list[HandoffView] | None = None,
) -> list[HandoffView]:
    """Pending hand-offs with a still-undecided role that this user leads (`among`: the open
    hand-offs, when the caller has already read them)."""
    mine = []
    for view in among if among is not None else open_handoffs(s, team_id, policy):
        if view.status == HandoffStatus.PENDING and any(
            line.signer == user_id for line in view.waiting_on
        ):
            mine.append(view)
    return mine


def packet_lines(h: Handoff, policy: Policy) -> list[PacketLine]:
    return packet_of(h.packet, rules_in_force(h, policy))


def packet_of(packet: Mapping[str, Any], rules: Transition | None) -> list[PacketLine]:
    """In the rules' field order: PostgreSQL's JSONB does not keep the order keys came in."""
    fields = rules.fields if rules else ()
    labels = {f.key: f.label for f in fields}
    types = {f.key: f.type for f in fields}
    keys = [f.key for f in fields if f.key in packet] + [k for k in packet if k not in labels]
    return [
        PacketLine(
            key=k,
            label=labels.get(k, k.replace("_", " ").capitalize()),
            value=str(packet[k]),
            type=types.get(k, "text"),
        )
        for k in keys
    ]


def _checklist(
    h: Handoff, leads: dict[tuple[int, Role], str], rules: Transition | None, away: Away
) -> list[SignOffLine]:
    # Looked up by key, not by scanning `leads`: a list passes every project's leads, and a
    # scan made each hand-off cost as much as the whole list (App Home of 1,000: seconds).
    own = {role: leads[(h.project_id, role)] for role in Role if (h.project_id, role) in leads}
    return checklist(h.required, h.signoffs_this_round(), own, h.requested_by, rules, away)


class Decided(Protocol):
    """A sign-off of this round: the ORM row, or the same columns read as a Core row."""

    decision: Decision
    user_id: str
    reason: str | None
    decided_at: datetime
    standing_in: str | None
    on_behalf_of: str | None
    as_admin: bool


def checklist(
    required: Sequence[Role],
    decided: Mapping[Role, Decided],
    leads: Mapping[Role, str],
    requested_by: str,
    rules: Transition | None,
    away: Away,
) -> list[SignOffLine]:
    """A hand-off's checklist: each required role with its decision this round, or who signs
    it now (`leads`: the project's, by role; `rules`: the ones in force for this hand-off)."""
    lines = []
    for role in required:
        signoff = decided.get(role)
        signer = signer_for(role, leads, requested_by, rules, away, required)
        lines.append(
            SignOffLine.trusted(
                role=role,
                label=role.label,
                lead=signer.lead,
                state=signoff.decision if signoff else None,
                decided_by=signoff.user_id if signoff else None,
                reason=signoff.reason if signoff else None,
                decided_at=signoff.decided_at if signoff else None,
                signer=signer.user,
                standing_in=signoff.standing_in if signoff else signer.standing_in,
                on_behalf_of=signoff.on_behalf_of if signoff else None,
                as_admin=signoff.as_admin if signoff else False,
            )
        )
    return lines
