"""Baton's domain: tables, policy, schemas and services. Knows nothing of Slack."""

from models.audit import AuditChainHead, AuditEvent
from models.base import Base
from models.gates import MlflowPromotion, WorkflowStep
from models.handoff import Handoff, SignOff, SignoffSnooze
from models.integrations import ApiToken, ModelLink
from models.lineage import ModelVersion
from models.monitor import Alert, Monitor, Observation
from models.outbox import OutboxMessage
from models.people import Absence, SlackUser
from models.policy_versions import PolicyVersion
from models.project import Project
from models.roster import RoleAssignment
from models.schedule import DigestSchedule, JobRun, ReminderSent
from models.webhooks import WebhookSubscription
from models.workspace import MessageRef, ReceivedEvent, Workspace

__all__ = [
    "Absence",
    "Alert",
    "ApiToken",
    "AuditChainHead",
    "AuditEvent",
    "Base",
    "DigestSchedule",
    "Handoff",
    "JobRun",
    "MessageRef",
    "MlflowPromotion",
    "ModelLink",
    "ModelVersion",
    "Monitor",
    "Observation",
    "OutboxMessage",
    "PolicyVersion",
    "Project",
    "ReceivedEvent",
    "ReminderSent",
    "RoleAssignment",
    "SignOff",
    "SignoffSnooze",
    "SlackUser",
    "WebhookSubscription",
    "WorkflowStep",
    "Workspace",
]
