"""Baton's domain: tables, policy, schemas and services. Knows nothing of Slack."""

from models.audit import AuditEvent
from models.base import Base
from models.handoff import Handoff, SignOff
from models.lineage import ModelVersion
from models.outbox import OutboxMessage
from models.project import Project
from models.roster import RoleAssignment
from models.schedule import DigestSchedule, JobRun, ReminderSent
from models.workspace import MessageRef, ReceivedEvent, Workspace

__all__ = [
    "AuditEvent",
    "Base",
    "DigestSchedule",
    "Handoff",
    "JobRun",
    "MessageRef",
    "ModelVersion",
    "OutboxMessage",
    "Project",
    "ReceivedEvent",
    "ReminderSent",
    "RoleAssignment",
    "SignOff",
    "Workspace",
]
