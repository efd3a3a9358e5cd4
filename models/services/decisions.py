"""Sign-off decisions and what follows them: changes, rejection, or the project advancing."""

from __future__ import annotations

from sqlalchemy.orm import Session

from models.base import utcnow
from models.enums import Decision, HandoffStatus, Role
from models.errors import DomainError, PermissionDenied
from models.handoff import Handoff, SignOff
from models.notifications import (
    ChangesRequested,
    HandoffReceived,
    HandoffUpdated,
    ProjectAdvanced,
)
from models.policy import Policy
from models.project import Project
from models.schemas.base import Actor
from models.schemas.projects import DecisionResult
from models.services import absences, audit, lineage, outbox, webhooks
from models.services.common import active_assignments, leads_of, member_ids
from models.services.gates import handoff_decided
from models.services.handoff_queries import get_handoff, handoff_view
from models.services.handoffs import announce_closed, refresh_alerts
from models.services.policy_history import rules_in_force
from models.signers import AWAY, Signer, signers

REASON_MAX = 2000


def decide(
    s: Session,
    actor: Actor,
    handoff_id: int,
    decision: Decision,
    policy: Policy,
    reason: str | None = None,
) -> DecisionResult:
    """Record the actor's decision for every required role they lead (all pending ones, for an
    admin who leads none). Repeating an identical decision changes nothing."""
    handoff = get_handoff(s, actor.team_id, handoff_id, lock=True)
    project = s.get(Project, handoff.project_id)
    assert project is not None
    chart = _signers(s, project, handoff, policy)
    roles = _roles_decided_by(handoff, chart, actor)
    decided = handoff.signoffs_this_round()
    if roles and all(r in decided and decided[r].decision == decision for r in roles):
        view = handoff_view(s, handoff, policy, project=project)
        return DecisionResult(handoff=view, changed=False)
    _refuse_unless_decidable(handoff, roles, decided, decision)
    reason = _reason(decision, reason)
    undecided = [r for r in roles if r not in decided]
    for role in undecided:
        s.add(_signoff(handoff, chart[role], actor, decision, reason))
    s.flush()
    audit.record(
        s,
        actor,
        f"signoff.{decision.value}",
        project,
        handoff_id=handoff.id,
        round=handoff.round,
        roles=undecided,
        reason=reason,
        **_stand_in_detail([chart[r] for r in undecided], actor),
    )
    advanced = _follow_up(s, actor, project, handoff, decision)
    if handoff.status != HandoffStatus.PENDING:
        webhooks.handoff_closed(s, project, handoff, by=actor.user_id)
    handoff.version += 1
    signers = [sg.user for sg in chart.values() if sg.user]
    # A stage advance changes the project in every member's My projects, not only signers'.
    everyone = member_ids(s, project) if advanced else []
    outbox.refresh_home(s, project.team_id, *signers, handoff.requested_by, *everyone)
    note = HandoffUpdated(project_id=project.id, handoff_id=handoff.id)
    outbox.to_channel(s, project.team_id, project.channel_id, note)
    view = handoff_view(s, handoff, policy, project=project)
    return DecisionResult(handoff=view, changed=True, advanced=advanced)


def check_may_decide(
    s: Session, actor: Actor, handoff_id: int, decision: Decision, policy: Policy
) -> None:
    """The refusal `decide` would give, raised before anyone types a reason for nothing."""
    handoff = get_handoff(s, actor.team_id, handoff_id)
    project = s.get(Project, handoff.project_id)
    assert project is not None
    roles = _roles_decided_by(handoff, _signers(s, project, handoff, policy), actor)
    _refuse_unless_decidable(handoff, roles, handoff.signoffs_this_round(), decision)


def _signers(s: Session, project: Project, handoff: Handoff, policy: Policy) -> dict[Role, Signer]:
    """Who signs each required role, judged by the rules the hand-off was opened under."""
    rules = rules_in_force(handoff, policy)
    away = absences.away_of(s, handoff.team_id, utcnow())
    chart = signers(handoff.required, leads_of(s, project), handoff.requested_by, rules, away)
    return {signer.role: signer for signer in chart}


def _signoff(
    handoff: Handoff, signer: Signer, actor: Actor, decision: Decision, reason: str | None
) -> SignOff:
    own = signer.user == actor.user_id  # the lead, or the stand-in the rules name
    return SignOff(
        team_id=handoff.team_id,
        handoff=handoff,
        round=handoff.round,
        role=signer.role,
        user_id=actor.user_id,
        decision=decision,
        reason=reason,
        as_admin=actor.is_admin and not own,
        on_behalf_of=signer.lead if own and signer.is_stand_in else None,
        standing_in=signer.standing_in if own else None,
    )


def _stand_in_detail(chart: list[Signer], actor: Actor) -> dict[str, str]:
    stood_in = [sg for sg in chart if sg.is_stand_in and sg.user == actor.user_id]
    if not stood_in:
        return {}
    return {"user": stood_in[0].lead or "", "standing_in": stood_in[0].standing_in or ""}


def _roles_decided_by(handoff: Handoff, chart: dict[Role, Signer], actor: Actor) -> list[Role]:
    mine = [role for role, signer in chart.items() if signer.user == actor.user_id]
    barred = [sg for sg in chart.values() if sg.is_stand_in and sg.lead == actor.user_id]
    if barred and not mine:
        raise PermissionDenied(_separation_refusal(handoff, barred))
    if mine or not actor.is_admin:
        return mine
    # An admin leading none decides every pending role; once decided, a repeat of the same
    # click must see the roles it decided, so it is a no-op rather than a refusal.
    pending = handoff.pending_roles()
    if pending:
        return pending
    decided = handoff.signoffs_this_round()
    return [r for r, signoff in decided.items() if signoff.user_id == actor.user_id]


def _separation_refusal(handoff: Handoff, barred: list[Signer]) -> str:
    labels = ", ".join(sg.role.label for sg in barred)
    if barred[0].standing_in == AWAY:
        return (
            f"You are marked away, so your {labels} sign-off went to your stand-in. "
            "To decide it yourself, come back first: Back on App Home, or the back command."
        )
    who = "The project's ML architect lead" if barred[0].user else "A Baton admin"
    return (
        f"You requested this {handoff.from_stage.value} → {handoff.to_stage.value} hand-off, so "
        f"you cannot sign it off as {labels} lead: the policy forbids self sign-off here. "
        f"{who} signs for {labels} instead."
    )


def _refuse_unless_decidable(
    handoff: Handoff, roles: list[Role], decided: dict[Role, SignOff], decision: Decision
) -> None:
    if handoff.status != HandoffStatus.PENDING:
        state = handoff.status.value.replace("_", " ")
        if handoff.status == HandoffStatus.CHANGES_REQUESTED:
            raise DomainError("Changes were requested: this waits for the requester to resubmit.")
        raise DomainError(f"This hand-off is already {state}; nothing more to decide.")
    if not roles:
        names = ", ".join(r.label for r in handoff.pending_roles()) or "none left"
        raise PermissionDenied(
            f"Only the lead of a required role can decide this hand-off (waiting on: {names})."
        )
    if all(r in decided for r in roles):
        earlier = decided[roles[0]].decision.value.replace("_", " ")
        raise DomainError(f"You already decided this round ({earlier}).")


def _reason(decision: Decision, reason: str | None) -> str | None:
    text = (reason or "").strip()[:REASON_MAX]
    if decision != Decision.APPROVED and not text:
        raise DomainError("Say why: a reason is required to request changes or reject.")
    return text or None


def _follow_up(
    s: Session, actor: Actor, project: Project, handoff: Handoff, decision: Decision
) -> bool:
    """Move the hand-off on after a decision; True when the project advanced."""
    if decision == Decision.CHANGES_REQUESTED:
        handoff.status = HandoffStatus.CHANGES_REQUESTED
        note = ChangesRequested(project_id=project.id, handoff_id=handoff.id, by=actor.user_id)
        outbox.to_user(s, project.team_id, handoff.requested_by, note)
        return False
    if decision == Decision.REJECTED:
        _close(handoff, HandoffStatus.REJECTED, actor)
        audit.record(s, actor, "handoff.rejected", project, handoff_id=handoff.id)
        handoff_decided(s, project, handoff)
        announce_closed(s, project, handoff, actor.user_id)
        return False
    if not handoff.all_approved():
        return False
    _advance(s, actor, project, handoff)
    return True


def _advance(s: Session, actor: Actor, project: Project, handoff: Handoff) -> None:
    _close(handoff, HandoffStatus.APPROVED, actor)
    previous, project.stage = project.stage, handoff.to_stage
    audit.record(s, actor, "handoff.approved", project, handoff_id=handoff.id, round=handoff.round)
    handoff_decided(s, project, handoff)
    audit.record(
        s,
        actor,
        "project.stage_changed",
        project,
        handoff_id=handoff.id,
        stage_from=previous,
        stage_to=project.stage,
    )
    lineage.record_from_handoff(s, project, handoff)
    webhooks.stage_changed(s, project, previous, handoff.id)
    advanced = ProjectAdvanced(
        project_id=project.id,
        handoff_id=handoff.id,
        stage_from=previous.value,
        stage_to=project.stage.value,
    )
    outbox.to_channel(s, project.team_id, project.channel_id, advanced)
    refresh_alerts(s, project)  # a retrain applies only in monitor
    receivers = {Role(r) for r in handoff.receiving_roles}
    members = [a.user_id for a in active_assignments(s, project) if a.role in receivers]
    for user in dict.fromkeys(members):
        received = HandoffReceived(project_id=project.id, handoff_id=handoff.id)
        outbox.to_user(s, project.team_id, user, received)


def _close(handoff: Handoff, status: HandoffStatus, actor: Actor) -> None:
    handoff.status = status
    handoff.closed_at = utcnow()
    handoff.closed_by = actor.user_id
