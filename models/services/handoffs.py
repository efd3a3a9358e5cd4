"""Requesting hand-offs: the packet, who must sign, resubmission after changes, cancelling."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.base import utcnow
from models.enums import HandoffStatus, Role, Stage
from models.errors import Conflict, DomainError, PacketInvalid, PermissionDenied
from models.handoff import Handoff
from models.policy import Policy, Transition
from models.policy_versions import transition_snapshot
from models.project import Project
from models.schemas.base import Actor
from models.schemas.projects import HandoffView
from models.services import audit, outbox, webhooks
from models.services.common import get_active_project, leads_of, require_member
from models.services.handoff_queries import get_handoff, handoff_view, open_handoff_of
from models.services.policy_history import note_version, rules_in_force

FIELD_VALUE_MAX = 3000
NAME_AT_VERSION = re.compile(r"^[^@\s]+@[^@\s]+$")


@dataclass(frozen=True)
class Form:
    """What the hand-off form shows: the transition, prefilled values, and whether it resubmits."""

    key: str
    transition: Transition
    prefill: dict[str, str]
    resubmit: bool


def form_for(s: Session, actor: Actor, key: str, to_stage: Stage | None, policy: Policy) -> Form:
    """Checked before the form opens, so nobody fills in a form the rules will refuse."""
    project = get_active_project(s, actor.team_id, key)
    require_member(s, project, actor, "request hand-offs")
    current = open_handoff_of(s, project)
    if current is not None and current.status == HandoffStatus.CHANGES_REQUESTED:
        transition = _rules(project, current, policy)
        return Form(key, transition, {k: str(v) for k, v in current.packet.items()}, True)
    _refuse_second_open(s, project)
    transition = _transition(project, to_stage, policy)
    _required_roles(s, project, transition)
    return Form(key, transition, _last_packet(s, project, transition), False)


def _last_packet(s: Session, project: Project, transition: Transition) -> dict[str, str]:
    """Prefill from this project's latest packets, for the fields this transition asks for."""
    packets = s.scalars(
        select(Handoff.packet)
        .where(Handoff.team_id == project.team_id, Handoff.project_id == project.id)
        .order_by(Handoff.id.desc())
        .limit(5)
    )
    merged: dict[str, str] = {}
    for packet in packets:
        for f in transition.fields:
            if f.key in packet and f.key not in merged:
                merged[f.key] = str(packet[f.key])
    return merged


def submit_packet(
    s: Session,
    actor: Actor,
    key: str,
    to_stage: Stage | None,
    packet: dict[str, str],
    policy: Policy,
    *,
    source: str = "slack",
) -> HandoffView:
    """The form's submit: a new hand-off, or the next round of one that awaits changes."""
    project = get_active_project(s, actor.team_id, key, lock=True)
    current = open_handoff_of(s, project)
    if current is not None and current.status == HandoffStatus.CHANGES_REQUESTED:
        return resubmit(s, actor, current, packet, policy)
    return request_handoff(s, actor, key, to_stage, packet, policy, source=source)


def request_handoff(
    s: Session,
    actor: Actor,
    key: str,
    to_stage: Stage | None,
    packet: dict[str, str],
    policy: Policy,
    *,
    source: str = "slack",
) -> HandoffView:
    project = get_active_project(s, actor.team_id, key, lock=True)
    require_member(s, project, actor, "request hand-offs")
    transition = _transition(project, to_stage, policy)
    clean = validate_packet(transition, packet)
    _refuse_second_open(s, project)
    required = _required_roles(s, project, transition)
    now = utcnow()
    handoff = Handoff(
        team_id=project.team_id,
        project_id=project.id,
        from_stage=transition.from_stage,
        to_stage=transition.to_stage,
        packet=clean,
        required_roles=[r.value for r in required],
        receiving_roles=[r.value for r in transition.receivers],
        requested_by=actor.user_id,
        requested_at=now,
        due_at=now + timedelta(hours=transition.sla_hours),
        source=source,
        policy_snapshot=transition_snapshot(transition),
        policy_version=note_version(s, project.team_id, policy, now),
    )
    try:
        with s.begin_nested():
            s.add(handoff)
    except IntegrityError:  # a racing request won the one-open-hand-off index
        raise Conflict(f"'{key}' already has an open hand-off.") from None
    audit.record(
        s,
        actor,
        "handoff.requested",
        project,
        handoff_id=handoff.id,
        transition=transition.name,
        required=required,
        packet=clean,
        source=source,
    )
    _announce(s, project, handoff, "handoff.requested")
    return handoff_view(s, handoff, policy, project=project)


def resubmit(
    s: Session, actor: Actor, handoff: Handoff, packet: dict[str, str], policy: Policy
) -> HandoffView:
    if handoff.team_id != actor.team_id or handoff.status != HandoffStatus.CHANGES_REQUESTED:
        raise DomainError("Only a hand-off waiting for changes can be resubmitted.")
    project = s.get(Project, handoff.project_id)
    assert project is not None
    require_member(s, project, actor, "resubmit hand-offs")
    transition = _rules(project, handoff, policy)
    handoff.packet = validate_packet(transition, packet)
    handoff.round += 1
    handoff.status = HandoffStatus.PENDING
    handoff.due_at = utcnow() + timedelta(hours=transition.sla_hours)
    handoff.version += 1
    audit.record(
        s,
        actor,
        "handoff.resubmitted",
        project,
        handoff_id=handoff.id,
        round=handoff.round,
        packet=handoff.packet,
    )
    _announce(s, project, handoff, "handoff.resubmitted")
    return handoff_view(s, handoff, policy, project=project)


def cancel_handoff(s: Session, actor: Actor, key: str, policy: Policy) -> HandoffView:
    project = get_active_project(s, actor.team_id, key, lock=True)
    handoff = open_handoff_of(s, project)
    if handoff is None:
        raise DomainError(f"'{key}' has no open hand-off to cancel.")
    handoff = get_handoff(s, actor.team_id, handoff.id, lock=True)
    if actor.user_id != handoff.requested_by and not actor.is_admin:
        raise PermissionDenied(
            "Only the person who requested this hand-off, or a Baton admin, can cancel it."
        )
    handoff.status = HandoffStatus.CANCELLED
    handoff.closed_at = utcnow()
    handoff.closed_by = actor.user_id
    handoff.version += 1
    audit.record(s, actor, "handoff.cancelled", project, handoff_id=handoff.id)
    webhooks.handoff_closed(s, project, handoff, by=actor.user_id)
    outbox.to_channel(
        s,
        project.team_id,
        "handoff.updated",
        project.channel_id,
        project_id=project.id,
        handoff_id=handoff.id,
    )
    from models.services import gates  # gates' services request hand-offs through this module

    gates.handoff_decided(s, project, handoff)
    return handoff_view(s, handoff, policy, project=project)


def validate_packet(transition: Transition, packet: dict[str, str]) -> dict[str, str]:
    """Trimmed values in the policy's order, or PacketInvalid naming each bad field."""
    errors: dict[str, str] = {}
    known = {f.key for f in transition.fields}
    for key in packet:
        if key not in known:
            errors[key] = f"not a field of the {transition.name} packet"
    clean: dict[str, str] = {}
    for f in transition.fields:
        value = str(packet.get(f.key) or "").strip()
        if not value:
            errors[f.key] = f"{f.label} is required"
        elif len(value) > FIELD_VALUE_MAX:
            errors[f.key] = f"{f.label} is longer than {FIELD_VALUE_MAX} characters"
        elif f.format == "name@version" and not NAME_AT_VERSION.match(value):
            errors[f.key] = f"{f.label} must name its version, like customers@2024-06-01"
        clean[f.key] = value
    if errors:
        raise PacketInvalid(errors)
    return clean


def _transition(project: Project, to_stage: Stage | None, policy: Policy) -> Transition:
    transition = policy.transition(project.stage, to_stage)
    if transition is not None:
        return transition
    allowed = ", ".join(s.value for s in policy.targets_from(project.stage)) or "nowhere"
    wanted = f" to {to_stage.value}" if to_stage else ""
    raise DomainError(
        f"'{project.key}' is in {project.stage.value}: no hand-off{wanted} from there. "
        f"From {project.stage.value} it can go to: {allowed}."
    )


def _rules(project: Project, handoff: Handoff, policy: Policy) -> Transition:
    """An open hand-off keeps the rules it was opened under (its snapshot)."""
    return rules_in_force(handoff, policy) or _transition(project, handoff.to_stage, policy)


def _refuse_second_open(s: Session, project: Project) -> None:
    current = open_handoff_of(s, project)
    if current is not None:
        raise Conflict(
            f"'{project.key}' already has an open hand-off ({current.from_stage.value} → "
            f"{current.to_stage.value}, {current.status.value.replace('_', ' ')}). "
            "Finish or cancel it first."
        )


def _required_roles(s: Session, project: Project, transition: Transition) -> list[Role]:
    leads = leads_of(s, project)
    required = list(transition.signoff)
    required += [r for r in transition.signoff_if_assigned if r in leads and r not in required]
    missing = [r for r in required if r not in leads]
    if missing:
        names = ", ".join(r.label for r in missing)
        raise DomainError(
            f"No lead for {names} on '{project.key}': every required sign-off needs one. "
            f"Assign with `role assign {project.key} <role> @user lead`."
        )
    return required


def _announce(s: Session, project: Project, handoff: Handoff, topic: str) -> None:
    """The card in the project channel, and a direct message to each required lead."""
    outbox.to_channel(
        s, project.team_id, topic, project.channel_id, project_id=project.id, handoff_id=handoff.id
    )
    leads = leads_of(s, project)
    for user in dict.fromkeys(leads[Role(r)] for r in handoff.required_roles):
        outbox.to_user(
            s,
            project.team_id,
            "handoff.signoff_requested",
            user,
            project_id=project.id,
            handoff_id=handoff.id,
        )
