"""One readable sentence per audit event, built here and only here.

"Mei Tanaka rejected manage → develop (round 2): “not enough data”", "Grace Kim made Jon
Alvarez Legal / compliance lead". The dossier, the CSV export and the /mlops history share
these sentences. They are plain text: each surface escapes them for itself (HTML, Slack
mrkdwn). A test fails when an audit event type written anywhere in the code has no entry in
TEMPLATES (tests/models/test_sentences.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from models.enums import Role
from models.schemas.base import SYSTEM_USER

# Placeholders: {actor} {user} {role} {roles} {transition} {round} {reason} {project} and any
# key of the event's details. A "name:variant" key is chosen by VARIANTS.
TEMPLATES: dict[str, str] = {
    "project.created": "{actor} created project {project} “{name}”",
    "project.archived": "{actor} archived {project} (it was in {stage})",
    "project.stage_changed": "{project} moved from {stage_from} to {stage_to}",
    "project.overseer_set": "{actor} named {user} overseer of {project}",
    "project.overseer_set:replaced": (
        "{actor} named {user} overseer of {project}, in place of {previous_overseer}"
    ),
    "project.overseer_set:cleared": "{actor} removed {previous_overseer} as overseer of {project}",
    "oversight.handoff_requested": "{actor}, overseer of {project}, sent it back: {transition}",
    "oversight.archived": "{actor}, overseer of {project}, stopped it: archived (it was in {stage})",
    "oversight.archived:cancelled": (
        "{actor}, overseer of {project}, stopped it: cancelled {transition} and archived it "
        "(it was in {stage})"
    ),
    "project.model_linked": "{actor} linked {project} to the MLflow model {model}",
    "role.assigned": "{actor} added {user} to {role}",
    "role.assigned:lead": "{actor} made {user} {role} lead",
    "role.removed": "{actor} removed {user} from {role}",
    # Events written before new_lead was recorded do not say who leads next.
    "role.lead_changed": "{previous_lead} is no longer {role} lead",
    "role.lead_changed:stepped_down": (
        "{previous_lead} stepped down as {role} lead; {new_lead} leads it now"
    ),
    "role.lead_changed:stepped_down_vacant": "{previous_lead} stepped down as {role} lead; no lead now",
    "role.lead_changed:stood_down": (
        "{actor} stood {previous_lead} down as {role} lead; {new_lead} leads it now"
    ),
    "role.lead_changed:stood_down_vacant": (
        "{actor} stood {previous_lead} down as {role} lead; no lead now"
    ),
    "handoff.requested": "{actor} requested {transition}",
    "handoff.resubmitted": "{actor} resubmitted {transition} (round {round})",
    "handoff.cancelled": "{actor} cancelled {transition}",
    "handoff.approved": "{transition} was approved (round {round})",
    "handoff.rejected": "{transition} was rejected",
    "signoff.approved": "{actor} approved {transition} (round {round}) as {roles}",
    "signoff.approved:reason": "{actor} approved {transition} (round {round}) as {roles}: “{reason}”",
    "signoff.approved:stand_in": (
        "{actor} approved {transition} (round {round}) as {roles} for {user}, who requested it"
    ),
    "signoff.approved:away": (
        "{actor} approved {transition} (round {round}) as {roles} for {user}, who is away"
    ),
    "signoff.rejected:away": (
        "{actor} rejected {transition} (round {round}) for {user}, who is away: “{reason}”"
    ),
    "signoff.changes_requested:away": (
        "{actor} asked for changes to {transition} (round {round}) for {user}, who is away: "
        "“{reason}”"
    ),
    "absence.started": "{actor} is away until {until}",
    "absence.started:delegate": "{actor} is away until {until}; {user} signs for them",
    "absence.ended": "{actor} is back",
    "absence.ended:expired": "{user}'s absence ended (until {until})",
    "signoff.rejected": "{actor} rejected {transition} (round {round}): “{reason}”",
    "signoff.rejected:stand_in": (
        "{actor} rejected {transition} (round {round}) for {user}, who requested it: “{reason}”"
    ),
    "signoff.changes_requested": (
        "{actor} asked for changes to {transition} (round {round}): “{reason}”"
    ),
    "signoff.changes_requested:stand_in": (
        "{actor} asked for changes to {transition} (round {round}) for {user}, who requested "
        "it: “{reason}”"
    ),
    "signoff.snoozed": "{actor} snoozed the reminders of {transition} (round {round}) until {until}",
    "signoff.snoozed:reason": (
        "{actor} snoozed the reminders of {transition} (round {round}) until {until}: “{reason}”"
    ),
    "metric.recorded": "{actor} recorded {metric} = {value} ({source})",
    "metric.pushed": "{actor} pushed {count} metric value(s) for {metrics} ({source})",
    "monitor.added": "{actor} started monitoring {metric} ({direction} {threshold})",
    "monitor.removed": "{actor} stopped monitoring {metric}",
    "monitor.source_failed": "The source of {metric} started failing: {error}",
    "monitor.source_recovered": "The source of monitor #{monitor_id} works again",
    "alert.opened": "Alert: {metric} is {value} (threshold {direction} {threshold})",
    "alert.resolved": "Alert resolved: {metric} is back to {value}",
    "alert.acknowledged": "{actor} acknowledged the {metric} alert",
    "alert.escalated": "The alert #{alert_id} was escalated to {architect}",
    "mlflow.version_recorded": "MLflow registered {model} version {version} (run {run_id})",
    "mlflow.alias_set": "Baton set the MLflow alias {alias} on {model} version {version} after {transition}",
    "mlflow.alias_version_unknown": (
        "MLflow asked for sign-off of {model} version {version}, a version it never "
        "announced: no hand-off requested"
    ),
    "mlflow.alias_without_signoff": (
        "MLflow moved the alias {alias} to {model} version {version} without a sign-off"
    ),
    "api_token.created": "{actor} created the API token {name} ({prefix}…)",
    "api_token.revoked": "{actor} revoked the API token {name} ({prefix}…)",
    "webhook.added": "{actor} added a webhook to {url} for {events}",
    "webhook.removed": "{actor} removed the webhook to {url}",
    "observations.pruned": "{actor} pruned {count} monitoring observation(s) older than {before}",
    "roster.gaps_reported": (
        "{actor} told the managers of {project} what {stage} lacks: a lead for {vacant}; "
        "leads gone from the workspace: {departed}"
    ),
    "digest.scheduled": "{actor} scheduled the digest for {channel} ({cron}, {timezone})",
    "refused": "{actor} tried to {attempt} — refused: {reason}",
}

# Each variant chooser sees the event's details and its actor's id.
VARIANTS: dict[str, Callable[[Mapping[str, Any], str], str | None]] = {
    "role.assigned": lambda d, _actor: "lead" if d.get("lead") else None,
    "signoff.approved": lambda d, _actor: _stood_in(d) or ("reason" if d.get("reason") else None),
    "signoff.snoozed": lambda d, _actor: "reason" if d.get("reason") else None,
    "signoff.rejected": lambda d, _actor: _stood_in(d),
    "signoff.changes_requested": lambda d, _actor: _stood_in(d),
    "absence.started": lambda d, _actor: "delegate" if d.get("user") else None,
    # its last day was over
    "absence.ended": lambda d, _actor: "expired" if d.get("until") else None,
    "project.overseer_set": lambda d, _actor: (
        "cleared" if not d.get("user") else "replaced" if d.get("previous_overseer") else None
    ),
    "oversight.archived": lambda d, _actor: "cancelled" if d.get("handoff_id") else None,
    "role.lead_changed": lambda d, actor: _lead_changed(d, actor),
}


def _lead_changed(detail: Mapping[str, Any], actor: str) -> str | None:
    if "new_lead" not in detail:
        return None
    how = "stepped_down" if detail.get("previous_lead") == actor else "stood_down"
    return how if detail["new_lead"] else f"{how}_vacant"


def _stood_in(detail: Mapping[str, Any]) -> str | None:
    return {"requester": "stand_in", "away": "away"}.get(str(detail.get("standing_in") or ""))


# What a refused request was trying to do, by the name the refusal was recorded under.
ATTEMPTS: dict[str, str] = {
    "handoff": "request a hand-off",
    "handoff.submit": "submit a hand-off packet",
    "handoff.approve": "approve {transition}",
    "handoff.approved": "approve {transition}",
    "handoff.rejected": "reject {transition}",
    "handoff.changes_requested": "ask for changes to {transition}",
    "handoff.decide": "decide on {transition}",
    "handoff cancel": "cancel a hand-off",
    "alert.ack": "acknowledge an alert",
    "alert.retrain": "open a retrain hand-off",
    "foreign_workspace": "use Baton from another workspace",
    "workflow": "act on a hand-off from a Slack workflow step",
    "ProjectArchive": "archive {project}",
    "ProjectLinkModel": "link a model to {project}",
    "RoleAssign": "assign a role on {project}",
    "RoleRemove": "remove a role on {project}",
    "HandoffCancel": "cancel a hand-off",
    "MonitorAdd": "add a monitor",
    "MonitorRemove": "remove a monitor",
    "Metric": "record a metric",
    "DigestSchedule": "schedule the digest",
    # refused.<object>.<verb>, the names every listener has written since (handlers/listener.py)
    "handoff.request": "request a hand-off",
    "handoff.cancel": "cancel a hand-off",
    "handoff.request_changes": "ask for changes to {transition}",
    "handoff.reject": "reject {transition}",
    "absence.start": "mark themselves away",
    "absence.end": "mark themselves back",
    "signoff.snooze": "snooze the reminders of {transition}",
    "handoff.resubmit": "resubmit {transition}",
    "button.click": "use a button",
    "home.open": "open Baton's home",
    "command.run": "run a command",
    "project.create": "create a project",
    "project.setup": "set up a project",
    "project.edit_roles": "edit the roles of {project}",
    "project.archive": "archive {project}",
    "project.link_model": "link a model to {project}",
    "project.overseer": "name the overseer of {project}",
    "project.list": "list projects",
    "role.assign": "assign a role on {project}",
    "role.remove": "remove a role on {project}",
    "roles.read": "read the roles of {project}",
    "monitor.add": "add a monitor",
    "monitor.remove": "remove a monitor",
    "monitor.list": "list monitors",
    "metric.record": "record a metric",
    "digest.schedule": "schedule the digest",
    "digest.post": "post the digest",
    "status.read": "read the status of {project}",
    "history.read": "read the history of {project}",
    "lineage.read": "read the lineage of {project}",
    "handoffs.read": "list open hand-offs",
    "signoffs.read": "list sign-offs",
    "help.read": "read the help",
}

SYSTEM_ACTORS = {SYSTEM_USER: "Baton", "mlflow": "MLflow"}
PERSON_KEYS = (
    "user",
    "previous_lead",
    "new_lead",
    "previous_overseer",
    "architect",
    "owner",
)  # details that hold a Slack id


def people_named(actor: str, detail: Mapping[str, Any] | None) -> set[str]:
    """The Slack ids a sentence of this event names: look these up before writing it."""
    ids = {actor, *(str((detail or {})[k]) for k in PERSON_KEYS if (detail or {}).get(k))}
    return {i for i in ids if i and i not in SYSTEM_ACTORS}


@dataclass(frozen=True)
class Names:
    """What a sentence may name: people by Slack id, hand-offs by id (their transition)."""

    people: Mapping[str, str] = field(default_factory=dict)
    handoffs: Mapping[int, str] = field(default_factory=dict)

    def person(self, user_id: Any) -> str:
        if not user_id:
            return "nobody"
        key = str(user_id)
        return self.people.get(key) or SYSTEM_ACTORS.get(key) or key


def sentence(
    action: str,
    actor: str,
    detail: Mapping[str, Any] | None,
    project_key: str | None = None,
    names: Names | None = None,
) -> str:
    names = names or Names()
    detail = detail or {}
    context = _Context(_values(detail, names))
    context.update(actor=names.person(actor), project=project_key or "a project")
    if actor and detail.get("user") == actor:  # "Grace Kim made herself lead" reads as such
        context["user"] = "themselves"
    context["transition"] = _transition(detail, names)
    if action.startswith("refused."):
        attempt = ATTEMPTS.get(action.removeprefix("refused."))
        context["attempt"] = (attempt or _words(action.removeprefix("refused."))).format_map(
            context
        )
        return TEMPLATES["refused"].format_map(context)
    variant = VARIANTS.get(action, lambda _d, _a: None)(detail, actor)
    template = TEMPLATES.get(f"{action}:{variant}") or TEMPLATES.get(action)
    if template is None:  # an event type from a newer version: still readable
        return f"{context['actor']}: {action}"
    return template.format_map(context)


class _Context(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "?"


def _values(detail: Mapping[str, Any], names: Names) -> dict[str, Any]:
    values: dict[str, Any] = {k: _plain(v) for k, v in detail.items()}
    for key in PERSON_KEYS:
        if key in detail:
            values[key] = names.person(detail[key])
    if "role" in detail:
        values["role"] = _role_label(detail["role"])
    if "roles" in detail and isinstance(detail["roles"], list):
        values["roles"] = " and ".join(_role_label(r) for r in detail["roles"])
    if not detail.get("reason"):
        values["reason"] = "no reason given"
    return values


def _transition(detail: Mapping[str, Any], names: Names) -> str:
    if detail.get("transition"):
        return str(detail["transition"])
    handoff = detail.get("handoff_id", detail.get("handoff"))
    try:
        return names.handoffs.get(int(handoff), f"hand-off #{handoff}") if handoff else "a hand-off"
    except (TypeError, ValueError):
        return "a hand-off"


def _role_label(value: Any) -> str:
    try:
        return Role(str(value)).label
    except ValueError:
        return str(value)


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return value


def _words(name: str) -> str:
    """'ArchiveCommand' → 'archive', 'role.assign' → 'role assign'."""
    name = re.sub(r"Command$", "", name)
    name = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", name)
    return name.replace(".", " ").replace("_", " ").lower().strip() or "do that"
