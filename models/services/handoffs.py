"""Requesting hand-offs: the packet, who must sign, resubmission after changes, cancelling."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models import packet_fields
from models.base import utcnow
from models.enums import HandoffStatus, Role, Stage
from models.errors import Conflict, DomainError, PacketInvalid, PermissionDenied
from models.handoff import Handoff
from models.notifications import (
    HandoffClosed,
    HandoffRequested,
    HandoffResubmitted,
    HandoffUpdated,
    SignoffRequested,
)
from models.policy import Policy, Transition
from models.policy_versions import rules_of, transition_snapshot
from models.project import Project
from models.schemas.base import Actor
from models.schemas.projects import HandoffView
from models.services import audit, outbox, oversight, webhooks
from models.services.absences import away_of
from models.services.common import get_active_project, leads_of
from models.services.handoff_queries import get_handoff, handoff_view, open_handoff_of
from models.services.policy_history import note_version, rules_in_force
from models.signers import Signer, signers

FIELD_VALUE_MAX = 3000


@dataclass(frozen=True)
class Form:
    """What the hand-off form shows: the transition, prefilled values, and whether it resubmits."""

    key: str
    transition: Transition
    prefill: dict[str, str]
    resubmit: bool
    # Roles the requester leads but may not sign (separation of duties), and who signs them.
    stand_ins: tuple[Signer, ...] = ()


def form_for(s: Session, actor: Actor, key: str, to_stage: Stage | None, policy: Policy) -> Form:
    """Checked before the form opens, so nobody fills in a form the rules will refuse."""
    project = get_active_project(s, actor.team_id, key)
    oversight.check_request(s, project, actor, to_stage, policy)
    current = open_handoff_of(s, project)
    if current is not None and current.status == HandoffStatus.CHANGES_REQUESTED:
        transition = _rules(project, current, policy)
        prefill = {k: str(v) for k, v in current.packet.items()}
        away = away_of(s, project.team_id, utcnow())
        chart = signers(
            current.required, leads_of(s, project), current.requested_by, transition, away
        )
        return Form(key, transition, prefill, True, _stand_ins(chart))
    _refuse_second_open(s, project)
    transition = _transition(project, to_stage, policy)
    required = _required_roles(s, project, transition)
    away = away_of(s, project.team_id, utcnow())
    chart = signers(required, leads_of(s, project), actor.user_id, transition, away)
    return Form(key, transition, _last_packet(s, project, transition), False, _stand_ins(chart))


def _stand_ins(chart: list[Signer]) -> tuple[Signer, ...]:
    return tuple(signer for signer in chart if signer.is_stand_in)


def resubmit_form(s: Session, actor: Actor, handoff_id: int, policy: Policy) -> Form:
    """What a Resubmit button opens: the hand-off's own packet, while it waits for changes."""
    handoff = get_handoff(s, actor.team_id, handoff_id)
    if handoff.status != HandoffStatus.CHANGES_REQUESTED:
        state = handoff.status.value.replace("_", " ")
        raise DomainError(f"This hand-off is {state} now, so there is nothing to resubmit.")
    project = s.get(Project, handoff.project_id)
    assert project is not None
    return form_for(s, actor, project.key, None, policy)


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
    by_overseer = oversight.check_request(s, project, actor, to_stage, policy)
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
    if by_overseer:
        audit.record(s, actor, "oversight.handoff_requested", project, handoff_id=handoff.id)
    _announce(s, project, handoff, HandoffRequested)
    refresh_alerts(s, project)  # no retrain from an alert while this is open
    return handoff_view(s, handoff, policy, project=project)


def resubmit(
    s: Session, actor: Actor, handoff: Handoff, packet: dict[str, str], policy: Policy
) -> HandoffView:
    if handoff.team_id != actor.team_id or handoff.status != HandoffStatus.CHANGES_REQUESTED:
        raise DomainError("Only a hand-off waiting for changes can be resubmitted.")
    project = s.get(Project, handoff.project_id)
    assert project is not None
    oversight.check_request(s, project, actor, handoff.to_stage, policy, "resubmit hand-offs")
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
    _announce(s, project, handoff, HandoffResubmitted)
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
    close_cancelled(s, actor, project, handoff)
    return handoff_view(s, handoff, policy, project=project)


def close_cancelled(s: Session, actor: Actor, project: Project, handoff: Handoff) -> None:
    """Cancel an open hand-off: audited, its cards updated, webhooks and gates told."""
    handoff.status = HandoffStatus.CANCELLED
    handoff.closed_at = utcnow()
    handoff.closed_by = actor.user_id
    handoff.version += 1
    audit.record(s, actor, "handoff.cancelled", project, handoff_id=handoff.id)
    webhooks.handoff_closed(s, project, handoff, by=actor.user_id)
    leads = leads_of(s, project)
    outbox.refresh_home(s, project.team_id, *(leads[r] for r in handoff.required if r in leads))
    note = HandoffUpdated(project_id=project.id, handoff_id=handoff.id)
    outbox.to_channel(s, project.team_id, project.channel_id, note)
    announce_closed(s, project, handoff, actor.user_id)
    from models.services import gates  # gates' services request hand-offs through this module

    gates.handoff_decided(s, project, handoff)


def announce_closed(s: Session, project: Project, handoff: Handoff, by: str) -> None:
    """Rejected or cancelled: the channel hears it, and so does the requester, unless they
    closed it themselves."""
    note = HandoffClosed(project_id=project.id, handoff_id=handoff.id, by=by)
    outbox.to_channel(s, project.team_id, project.channel_id, note)
    if handoff.requested_by != by:
        outbox.to_user(s, project.team_id, handoff.requested_by, note)
    refresh_alerts(s, project)  # a retrain may apply again


def refresh_alerts(s: Session, project: Project) -> None:
    from models.services import alerts  # alerts' services open hand-off forms through this one

    alerts.refresh_cards(s, project)


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
        elif wrong := packet_fields.problem(f.type, f.label, f.options, value):
            errors[f.key] = wrong
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
            f"No lead for {names} on '{project.key}': {transition.to_stage.value} needs a "
            f"{names} lead before this hand-off can be requested. The project's creator, its "
            "ML architect lead or a Baton admin can assign one: "
            f"`role assign {project.key} {missing[0].value} @user lead`."
        )
    return required


def _announce(
    s: Session,
    project: Project,
    handoff: Handoff,
    kind: type[HandoffRequested | HandoffResubmitted],
) -> None:
    """The card in the project channel, and a direct message to each required lead."""
    ids = {"project_id": project.id, "handoff_id": handoff.id}
    outbox.to_channel(s, project.team_id, project.channel_id, kind(**ids))
    rules = rules_of(handoff.policy_snapshot)
    away = away_of(s, project.team_id, utcnow())
    chart = signers(handoff.required, leads_of(s, project), handoff.requested_by, rules, away)
    users = list(dict.fromkeys(sg.user for sg in chart if sg.user))
    for user in users:
        outbox.to_user(s, project.team_id, user, SignoffRequested(**ids))
    outbox.refresh_home(s, project.team_id, *users)
