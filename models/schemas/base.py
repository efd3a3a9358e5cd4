"""What every service takes and gives: who is asking (Actor), and the base of its results."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict


@dataclass(frozen=True)
class Actor:
    """Who is asking, in which workspace; admins come from configuration, not the database."""

    team_id: str
    user_id: str
    is_admin: bool = False


class View(BaseModel):
    model_config = ConfigDict(frozen=True)
