"""What `/mlops` understands: one frozen dataclass per subcommand, and its usage and help lines.

`handlers/parsing.py` turns text into these commands; this module only describes them.

The slash command's name is configurable, so the usage templates in `USAGE` and `HELP`
hold a `{cmd}` placeholder where the command goes. Nothing outside this module should
fill it in by hand: `usage_for(name, command)` and `help_entries(command, topic)` return
lines rendered for the configured command, and `parse(text, command)` puts a rendered
usage line in every `UsageError`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from models.enums import Role, Stage

DEFAULT_COMMAND = "/mlops"
DEFAULT_HISTORY_LIMIT = 20
MAX_HISTORY_LIMIT = 200


@dataclass(frozen=True, slots=True)
class Help:
    topic: str | None = None


@dataclass(frozen=True, slots=True)
class ProjectCreate:
    key: str
    name: str | None = None


@dataclass(frozen=True, slots=True)
class ProjectSetup:
    """`project create` with no key: the set-up form, home channel defaulting to this one."""


@dataclass(frozen=True, slots=True)
class ProjectList:
    pass


@dataclass(frozen=True, slots=True)
class ProjectArchive:
    key: str


@dataclass(frozen=True, slots=True)
class ProjectLinkModel:
    """Versions of MLflow registered model `model` enter project `key`'s lineage."""

    key: str
    model: str


@dataclass(frozen=True, slots=True)
class Status:
    key: str


@dataclass(frozen=True, slots=True)
class RoleAssign:
    key: str
    role: Role
    user_id: str
    lead: bool = False


@dataclass(frozen=True, slots=True)
class RoleRemove:
    key: str
    role: Role
    user_id: str


@dataclass(frozen=True, slots=True)
class Roles:
    key: str


@dataclass(frozen=True, slots=True)
class HandoffOpen:
    key: str
    to_stage: Stage | None = None


@dataclass(frozen=True, slots=True)
class HandoffCancel:
    key: str


@dataclass(frozen=True, slots=True)
class Handoffs:
    key: str | None = None


@dataclass(frozen=True, slots=True)
class Signoffs:
    pass


@dataclass(frozen=True, slots=True)
class History:
    key: str
    limit: int = DEFAULT_HISTORY_LIMIT


@dataclass(frozen=True, slots=True)
class Lineage:
    key: str


@dataclass(frozen=True, slots=True)
class MonitorAdd:
    key: str
    metric: str
    direction: Literal["min", "max"]
    threshold: float
    owner: Role | None = None  # default: the data scientist lead
    source_kind: Literal["prometheus", "json"] | None = None
    source_url: str | None = None
    source_query: str | None = None  # PromQL, or a dotted field path of the JSON answer
    every_seconds: int | None = None


@dataclass(frozen=True, slots=True)
class MonitorList:
    key: str


@dataclass(frozen=True, slots=True)
class MonitorRemove:
    key: str
    metric: str


@dataclass(frozen=True, slots=True)
class Metric:
    key: str
    metric: str
    value: float


@dataclass(frozen=True, slots=True)
class DigestNow:
    key: str | None = None


@dataclass(frozen=True, slots=True)
class DigestSchedule:
    """`cron` is a standard 5-field crontab whose day-of-week field is always written with
    names (mon, tue, ...) or `*`, because APScheduler 3 reads weekday *numbers* with
    0 = Monday while crontab means Sunday; names mean the same to both."""

    cron: str
    timezone: str | None = None


Command = (
    Help
    | ProjectCreate
    | ProjectSetup
    | ProjectList
    | ProjectArchive
    | ProjectLinkModel
    | Status
    | RoleAssign
    | RoleRemove
    | Roles
    | HandoffOpen
    | HandoffCancel
    | Handoffs
    | Signoffs
    | History
    | Lineage
    | MonitorAdd
    | MonitorList
    | MonitorRemove
    | Metric
    | DigestNow
    | DigestSchedule
)

# (subcommand name, usage template, one-line description), in the order help shows them.
_TABLE: tuple[tuple[str, str, str], ...] = (
    ("help", "{cmd} help [command]", "List the commands, or show those of one topic"),
    (
        "project create",
        "{cmd} project create [<key> [display name]]",
        "Create a project whose home channel is this channel; with no key, open the set-up "
        "form (channel and every role lead picked there)",
    ),
    ("project list", "{cmd} project list", "List the projects of this workspace"),
    ("project archive", "{cmd} project archive <key>", "Archive a project"),
    (
        "project link-model",
        "{cmd} project link-model <key> <model name>",
        "Record the versions of an MLflow registered model in the project's lineage",
    ),
    ("status", "{cmd} status <key>", "Project card: stage, owners, open hand-off, monitors"),
    (
        "role assign",
        "{cmd} role assign <key> <role> @user [lead]",
        "Give someone a role on a project, optionally as its lead",
    ),
    ("role remove", "{cmd} role remove <key> <role> @user", "Take a role on a project away"),
    ("roles", "{cmd} roles <key>", "Who holds which role on a project"),
    (
        "handoff",
        "{cmd} handoff <key> [to-stage]",
        "Open the hand-off form; default: the next stage",
    ),
    ("handoff cancel", "{cmd} handoff cancel <key>", "Cancel the project's open hand-off"),
    ("handoffs", "{cmd} handoffs [key]", "Open hand-offs, their age and who they wait on"),
    ("signoffs", "{cmd} signoffs", "My pending sign-offs"),
    (
        "history",
        "{cmd} history <key> [N]",
        "Audit trail, newest first (N from 1 to 200, default 20)",
    ),
    ("lineage", "{cmd} lineage <key>", "Model versions, their data and sources"),
    (
        "monitor add",
        "{cmd} monitor add <key> <metric> <min|max> <threshold> [owner <role>] "
        '[prometheus <url> "<query>" | json <url> <field.path>] [every <seconds>]',
        "Alert the owner (data scientist lead by default) when a metric falls below a min or "
        "rises above a max; with a source, Baton polls it. A Prometheus <url> is the server's "
        "base URL (http://prom:9090) or its query endpoint (http://prom:9090/api/v1/query); "
        "a json <url> answers JSON and <field.path> picks the number (data.auc). Private "
        "addresses need the operator's BATON_METRIC_SOURCES_ALLOW",
    ),
    ("monitor list", "{cmd} monitor list <key>", "The monitors of a project"),
    ("monitor remove", "{cmd} monitor remove <key> <metric>", "Stop monitoring a metric"),
    ("metric", "{cmd} metric <key> <metric> <value>", "Record a metric value by hand"),
    ("digest now", "{cmd} digest now [key]", "Post the digest here now"),
    (
        "digest schedule",
        '{cmd} digest schedule "<cron>" [timezone]',
        'Post the digest in this channel on a schedule, e.g. "0 9 * * 1-5" Europe/Berlin',
    ),
)

USAGE: dict[str, str] = {name: usage for name, usage, _ in _TABLE}
HELP: list[tuple[str, str]] = [(usage, description) for _, usage, description in _TABLE]

# Subcommands that take a verb: {"project": ("create", "list", "archive"), ...}
VERBS: dict[str, tuple[str, ...]] = {}
for _name in USAGE:
    _head, _, _verb = _name.partition(" ")
    if _verb:
        VERBS[_head] = (*VERBS.get(_head, ()), _verb)


def usage_for(name: str, command: str = DEFAULT_COMMAND) -> str:
    """The usage line of subcommand `name` (a key of USAGE) for the configured command."""
    return USAGE[name].replace("{cmd}", command)


def help_entries(command: str = DEFAULT_COMMAND, topic: str | None = None) -> list[tuple[str, str]]:
    """(usage, description) pairs for `help [topic]`; the topic is a subcommand or its first word."""
    return [
        (usage_for(name, command), description)
        for name, _, description in _TABLE
        if topic is None or name == topic or name.partition(" ")[0] == topic
    ]
