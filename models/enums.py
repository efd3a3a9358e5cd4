"""Lifecycle stages, MLOps roles and hand-off states: the domain's vocabulary."""

from __future__ import annotations

from enum import StrEnum


class Stage(StrEnum):
    MANAGE = "manage"
    DEVELOP = "develop"
    DEPLOY = "deploy"
    MONITOR = "monitor"
    ARCHIVED = "archived"


class Role(StrEnum):
    DATA_SCIENTIST = "data_scientist"
    DATA_ANALYST = "data_analyst"
    DATA_ENGINEER = "data_engineer"
    DEVOPS_ENGINEER = "devops_engineer"
    ML_ARCHITECT = "ml_architect"
    SOFTWARE_DEVELOPER = "software_developer"
    DOMAIN_EXPERT = "domain_expert"
    BUSINESS_MANAGER = "business_manager"
    COMPLIANCE = "compliance"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @classmethod
    def parse(cls, text: str) -> Role:
        """A role from its key, an alias or its key with dashes; ValueError names the choices."""
        word = text.strip().lower().replace("-", "_")
        if word in cls._value2member_map_:
            return cls(word)
        for role, aliases in ROLE_ALIASES.items():
            if word in aliases:
                return role
        raise ValueError(f"unknown role '{text}'; choose one of: {', '.join(r.value for r in cls)}")


ROLE_LABELS: dict[Role, str] = {
    Role.DATA_SCIENTIST: "Data scientist",
    Role.DATA_ANALYST: "Data analyst",
    Role.DATA_ENGINEER: "Data engineer",
    Role.DEVOPS_ENGINEER: "DevOps engineer",
    Role.ML_ARCHITECT: "ML architect",
    Role.SOFTWARE_DEVELOPER: "Software developer",
    Role.DOMAIN_EXPERT: "Domain expert / business translator",
    Role.BUSINESS_MANAGER: "Business manager",
    Role.COMPLIANCE: "Legal / compliance",
}

ROLE_ALIASES: dict[Role, tuple[str, ...]] = {
    Role.DATA_SCIENTIST: ("ds", "scientist"),
    Role.DATA_ANALYST: ("da", "analyst"),
    Role.DATA_ENGINEER: ("de",),
    Role.DEVOPS_ENGINEER: ("devops", "ops"),
    Role.ML_ARCHITECT: ("architect", "mla"),
    Role.SOFTWARE_DEVELOPER: ("dev", "swe"),
    Role.DOMAIN_EXPERT: ("domain", "biz", "translator"),
    Role.BUSINESS_MANAGER: ("manager",),
    Role.COMPLIANCE: ("legal",),
}


class HandoffStatus(StrEnum):
    PENDING = "pending"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    REJECTED = "rejected"
    CANCELLED = "cancelled"

    @property
    def is_open(self) -> bool:
        return self in (HandoffStatus.PENDING, HandoffStatus.CHANGES_REQUESTED)


OPEN_HANDOFF_STATUSES = (HandoffStatus.PENDING.value, HandoffStatus.CHANGES_REQUESTED.value)


class Decision(StrEnum):
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"


class OutboxStatus(StrEnum):
    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    FAILED = "failed"
