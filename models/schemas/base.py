"""What every service takes and gives: who is asking (Actor), and the base of its results."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Self

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


_set = object.__setattr__


class View(BaseModel):
    model_config = ConfigDict(frozen=True)

    @classmethod
    def trusted(cls, **values: Any) -> Self:
        """`model_construct` for values the database already typed, every field given: what
        pydantic would store, without its per-field alias and default lookups (a digest makes
        tens of thousands of lines). Never for user input: nothing is checked."""
        view = cls.__new__(cls)
        _set(view, "__dict__", values)
        _set(view, "__pydantic_fields_set__", set(values))
        _set(view, "__pydantic_extra__", None)
        _set(view, "__pydantic_private__", None)
        return view
