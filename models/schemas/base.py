"""What every service takes and gives: who is asking (Actor), and the base of its results."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

SYSTEM_USER = "baton"  # the user id of what nobody typed: jobs, default schedules, API pushes


@dataclass(frozen=True)
class Actor:
    """Who is asking, in which workspace; admins come from configuration, not the database."""

    team_id: str
    user_id: str
    is_admin: bool = False

    @classmethod
    def system(cls, team_id: str) -> Actor:
        """Baton itself: the actor of what nobody typed (jobs, defaults, escalations)."""
        return cls(team_id, SYSTEM_USER)


class View(BaseModel):
    model_config = ConfigDict(frozen=True)
