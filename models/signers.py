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
AWAY = "away"  # the lead is away: their delegate, or the ML architect lead, signs
Away = Mapping[str, str | None]  # who is away -> their delegate (None: none named)


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
    role: Role,
    leads: Mapping[Role, str],
    requester: str,
    rules: Transition | None,
    away: Away | None = None,
    required: list[Role] | None = None,
) -> Signer:
    """`required`: the hand-off's roles, so a delegate who already signs one of them is passed
    over (nobody signs twice for one hand-off)."""
    away = away or {}
    lead = leads.get(role)
    forbidden = rules is not None and not rules.requester_may_sign
    architect = leads.get(Role.ML_ARCHITECT)

    def may_sign(user: str | None) -> bool:
        return user is not None and user not in away and not (forbidden and user == requester)

    if lead is None:
        return Signer(role, None, None)
    if lead in away:
        others = {leads.get(r) for r in (required or []) if r != role}
        delegate = away[lead]
        if may_sign(delegate) and delegate not in others and delegate != lead:
            return Signer(role, lead, delegate, AWAY)
        return Signer(role, lead, architect if may_sign(architect) else None, AWAY)
    if forbidden and lead == requester:
        return Signer(role, lead, architect if may_sign(architect) else None, REQUESTER)
    return Signer(role, lead, lead)


def signers(
    roles: list[Role],
    leads: Mapping[Role, str],
    requester: str,
    rules: Transition | None,
    away: Away | None = None,
) -> list[Signer]:
    return [signer_for(r, leads, requester, rules, away, roles) for r in roles]
