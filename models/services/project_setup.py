"""Set up a project with every role in one go, and edit its roles: the set-up form's services.

Who may edit is checked once per submit; each change is then made through the roster's own
unchecked helpers, so it is audited exactly as the typed `role assign` / `role remove` would
audit it (one `role.*` event each); a role whose holders did not change writes nothing. All of it happens in the caller's one transaction.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from models import rules
from models.enums import Role
from models.errors import Conflict, DomainError, FormInvalid
from models.policy import Policy
from models.project import Project
from models.schemas.base import Actor
from models.schemas.projects import ProjectSummary, RoleHolders
from models.services import outbox, projects, roster
from models.services.common import get_active_project, require_project_manager


@dataclass(frozen=True)
class RoleWish:
    """Who should hold one role: its lead (or none) and its other members."""

    lead: str | None = None
    members: tuple[str, ...] = ()

    def everyone(self) -> set[str]:
        return set(self.members) | ({self.lead} if self.lead else set())


@dataclass(frozen=True)
class HomeChannel:
    """The picked home channel and whether Baton can post there, as Slack says: it is in the
    channel, or the channel is public. Slack hides a private channel Baton is not in, name and
    all, so the refusal says "that channel": the user sees it picked right above."""

    id: str
    reachable: bool = True

    def problem(self) -> str | None:
        if not self.id:
            return "Pick the project's home channel."
        if self.reachable:
            return None
        return "Baton is not in that channel: type /invite @Baton there, then submit again."


@dataclass(frozen=True)
class Setup:
    project: ProjectSummary
    roles: list[RoleHolders]


def required_roles(policy: Policy) -> list[Role]:
    """Roles some transition always needs a lead for; the others are optional at set-up."""
    needed = {r for t in policy.transitions for r in t.signoff}
    return [r for r in Role if r in needed]


def setup_project(
    s: Session,
    actor: Actor,
    key: str,
    name: str,
    channel: HomeChannel,
    wishes: dict[Role, RoleWish],
) -> Setup:
    """Create the project (key made from the name when left empty) and assign every role;
    refused, field by field, for a bad name or key or a home channel Baton cannot post in."""
    name = name.strip()
    key = key.strip() or rules.key_from_name(name)
    problems: dict[str, str] = {}
    if not name:
        problems["name"] = "Give the project a display name."
    try:
        rules.project_key(key)
    except DomainError as exc:
        problems["key"] = exc.message
    if channel_problem := channel.problem():
        problems["channel"] = channel_problem
    if problems:
        raise FormInvalid(problems)
    try:
        summary = projects.create_project(s, actor, key, name, channel.id)
    except Conflict as exc:
        raise FormInvalid({"key": f"{exc.message} Choose another key."}) from None
    roles = apply_roles(s, actor, key, wishes)
    outbox.refresh_home(s, actor.team_id, actor.user_id)  # the new project in My projects
    return Setup(summary, roles)


def roles_for_edit(s: Session, actor: Actor, key: str) -> Setup:
    """The project and its roles, refused before the form opens for whom may not edit them."""
    project = get_active_project(s, actor.team_id, key)
    require_project_manager(s, project, actor, "edit its roles")
    return Setup(projects.summary(project), roster.holders(s, project))


def apply_roles(
    s: Session, actor: Actor, key: str, wishes: dict[Role, RoleWish]
) -> list[RoleHolders]:
    """Make each role in `wishes` held as wished; roles not named are left as they are."""
    project = get_active_project(s, actor.team_id, key, lock=True)
    require_project_manager(s, project, actor, "edit its roles")
    now = {h.role: h for h in roster.holders(s, project)}
    for role, wish in wishes.items():
        _apply_one(s, actor, project, now[role], wish)
    return roster.holders(s, project)


def _apply_one(
    s: Session, actor: Actor, project: Project, now: RoleHolders, wish: RoleWish
) -> None:
    # Removals first, so a lead who leaves is not demoted to a member only to be removed.
    # Permission was checked once for the whole submit (apply_roles): handing the
    # ML-architect lead on must not make the same actor's next change in it refused.
    for user in now.members:
        if user not in wish.everyone():
            roster.remove_unchecked(s, actor, project, now.role, user)
    lead_stays = now.lead is not None and now.lead in wish.everyone()
    if wish.lead and wish.lead != now.lead:
        roster.assign_unchecked(s, actor, project, now.role, wish.lead, lead=True)
    elif wish.lead is None and lead_stays:
        roster.step_down_unchecked(s, actor, project, now.role)
    for user in wish.members:
        if user not in now.members and user != wish.lead:
            roster.assign_unchecked(s, actor, project, now.role, user)
