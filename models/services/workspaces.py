"""Which workspace a project, a channel or an operator's command belongs to.

For the operator's `baton` commands, which may run against a database of several workspaces;
Slack and the API always know their workspace. Messages name `--team`, the option that settles
the question.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.errors import DomainError, NotFound
from models.project import Project
from models.workspace import Workspace


def teams_with_projects(s: Session) -> list[str]:
    """Every workspace that has at least one project (archived ones count)."""
    return sorted(set(s.scalars(select(Project.team_id))))


def only_team_with(s: Session, key: str) -> str:
    """The one workspace with project `key`; refused when none or several have it."""
    teams = sorted(set(s.scalars(select(Project.team_id).where(Project.key == key))))
    if not teams:
        raise NotFound(f"no project '{key}'")
    if len(teams) > 1:
        raise DomainError(f"'{key}' exists in {', '.join(teams)}: choose one with --team")
    return teams[0]


def team_of_channel(s: Session, channel_id: str, team: str | None) -> str:
    """`team` if given, else the one workspace whose projects live in `channel_id`."""
    if team is not None:
        return team
    teams = set(s.scalars(select(Project.team_id).where(Project.channel_id == channel_id)))
    if len(teams) != 1:
        raise DomainError(f"which workspace is {channel_id} in? Use --team")
    return teams.pop()


def installed_workspace(s: Session, team: str | None) -> str:
    """The given workspace if installed, else the only installed one."""
    installed = sorted(s.scalars(select(Workspace.team_id)))
    if team is not None:
        if team not in installed:
            raise NotFound(f"workspace {team} is not installed (known: {_listed(installed)})")
        return team
    if len(installed) == 1:
        return installed[0]
    if not installed:
        raise DomainError(
            "no workspace is installed yet: run `baton serve` once (it registers the bot's "
            "workspace), or pass --team"
        )
    raise DomainError(
        f"several workspaces are installed ({_listed(installed)}): choose one with --team"
    )


def _listed(teams: list[str]) -> str:
    return ", ".join(teams) or "none"
