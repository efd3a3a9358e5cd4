"""Who signs each required role of a hand-off: its lead, or a stand-in when the lead may not.

Separation of duties: where the transition's rules say `self_signoff: forbidden`, the person
who requested the hand-off does not sign for a role they lead; the project's ML architect lead
stands in, and when that is the requester too only a Baton admin can decide. Pure rules, no
database: the services pass the leads and the rules in force.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from models.enums import Role
from models.policy import Transition

REQUESTER = "requester"  # SignOff.standing_in: the lead requested this hand-off


@dataclass(frozen=True)
class Signer:
    role: Role
    lead: str | None  # the role's lead
    user: str | None  # who signs now: the lead, a stand-in, or None (only an admin)
    standing_in: str | None = None  # why someone other than the lead signs

    @property
    def is_stand_in(self) -> bool:
        return self.standing_in is not None


def signer_for(
    role: Role, leads: Mapping[Role, str], requester: str, rules: Transition | None
) -> Signer:
    lead = leads.get(role)
    if lead is None or lead != requester or rules is None or rules.requester_may_sign:
        return Signer(role, lead, lead)
    architect = leads.get(Role.ML_ARCHITECT)
    stand_in = architect if architect not in (None, requester) else None
    return Signer(role, lead, stand_in, REQUESTER)


def signers(
    roles: list[Role], leads: Mapping[Role, str], requester: str, rules: Transition | None
) -> list[Signer]:
    return [signer_for(r, leads, requester, rules) for r in roles]
