"""The slash command: parse → one domain service → a rendered reply. One small function each."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from slack_bolt import App
from sqlalchemy.orm import Session

from bot.blocks import handoff as handoff_blocks
from bot.blocks import monitors as monitor_blocks
from bot.blocks import replies
from bot.blocks import schedules as schedule_blocks
from bot.blocks.text import escape
from bot.runtime import Runtime
from bot.scheduler import job_context
from handlers import parsing as p
from handlers.commands_spec import help_entries
from handlers.listener import Incoming, Kind, listener
from jobs.digest import post_digest
from models.base import utcnow
from models.enums import Role
from models.schemas.base import Actor
from models.schemas.monitoring import MonitorSource
from models.services import (
    audit,
    digest,
    handoff_queries,
    handoffs,
    lineage,
    monitoring,
    projects,
    roster,
    schedules,
)
from models.services.common import get_project
from models.services.integrations import link_model

log = logging.getLogger(__name__)

Reply = dict[str, Any]
FORM_FAILED = "Slack did not open the hand-off form in time. Nothing was changed; please run the command again."


@dataclass
class CommandContext:
    rt: Runtime
    s: Session
    actor: Actor
    channel_id: str
    command: str


def register(app: App, rt: Runtime) -> None:
    @app.command(rt.settings.baton_command)
    @listener(rt, Kind.COMMAND, "command.run")
    def on_command(req: Incoming) -> None:
        try:
            command = p.parse(req.body.get("text", ""), rt.settings.baton_command)
        except p.UsageError as exc:
            req.ack(response_type="ephemeral", **replies.error_reply(exc.reason, exc.usage))
            return
        req.refusal = refusal_name(command)
        if isinstance(command, p.HandoffOpen):
            _open_form(rt, req, command)
            return
        reply = _run(rt, req, command)
        req.ack(response_type=reply.pop("response_type", "ephemeral"), **reply)


def refusal_name(command: p.Command) -> str:
    """`object.verb` for the audit of a refused subcommand: RoleAssign -> role.assign."""
    if (name := REFUSAL_NAMES.get(type(command))) is not None:
        return name
    words = [w.lower() for w in re.findall(r"[A-Z][a-z]*", type(command).__name__)]
    return f"{words[0]}.{'_'.join(words[1:]) or 'read'}"


def _run(rt: Runtime, req: Incoming, command: p.Command) -> Reply:
    handler = HANDLERS.get(type(command))
    if handler is None:
        return replies.error_reply("That command is not available yet in this version of Baton.")
    with rt.session(reading=type(command) in ANSWERS_ONLY) as s:
        channel = req.body["channel_id"]
        ctx = CommandContext(rt, s, req.actor, channel, req.body.get("command", "/mlops"))
        return handler(ctx, command)


def _open_form(rt: Runtime, req: Incoming, cmd: p.HandoffOpen) -> None:
    req.detail["project_key"] = cmd.key
    with rt.session() as s:
        form = handoffs.form_for(s, req.actor, cmd.key, cmd.to_stage, rt.policy)
    req.ack()
    view = handoff_blocks.form_view(form.key, form.transition, form.prefill, form.resubmit)
    req.open_view(view, FORM_FAILED)


# -- one function per subcommand ------------------------------------------------------------


def help_(ctx: CommandContext, cmd: p.Help) -> Reply:
    return replies.help_reply(help_entries(ctx.rt.settings.baton_command, cmd.topic))


def project_create(ctx: CommandContext, cmd: p.ProjectCreate) -> Reply:
    summary = projects.create_project(ctx.s, ctx.actor, cmd.key, cmd.name, ctx.channel_id)
    return {**replies.project_created(summary), "response_type": "in_channel"}


def project_list(ctx: CommandContext, cmd: p.ProjectList) -> Reply:
    return replies.project_list(projects.list_projects(ctx.s, ctx.actor.team_id))


def project_archive(ctx: CommandContext, cmd: p.ProjectArchive) -> Reply:
    return replies.project_archived(projects.archive_project(ctx.s, ctx.actor, cmd.key))


def project_link_model(ctx: CommandContext, cmd: p.ProjectLinkModel) -> Reply:
    link = link_model(ctx.s, ctx.actor, cmd.key, cmd.model)
    alias = escape(ctx.rt.settings.baton_mlflow_alias)
    return replies.text_reply(
        f"MLflow model *{escape(link.registered_model)}* is linked to `{link.project_key}`: "
        f"its new versions enter the lineage, and the alias `{alias}` on a version requests "
        "develop → deploy."
    )


def status(ctx: CommandContext, cmd: p.Status) -> Reply:
    now = utcnow()
    view = digest.project_status(ctx.s, ctx.actor.team_id, cmd.key, ctx.rt.policy, now)
    return replies.status_card(view, now)


def role_assign(ctx: CommandContext, cmd: p.RoleAssign) -> Reply:
    holders = roster.assign_role(ctx.s, ctx.actor, cmd.key, cmd.role, cmd.user_id, lead=cmd.lead)
    return replies.roles_reply(cmd.key, holders)


def role_remove(ctx: CommandContext, cmd: p.RoleRemove) -> Reply:
    holders = roster.remove_role(ctx.s, ctx.actor, cmd.key, cmd.role, cmd.user_id)
    return replies.roles_reply(cmd.key, holders)


def roles(ctx: CommandContext, cmd: p.Roles) -> Reply:
    return replies.roles_reply(cmd.key, roster.roster_of(ctx.s, ctx.actor.team_id, cmd.key))


def handoff_cancel(ctx: CommandContext, cmd: p.HandoffCancel) -> Reply:
    view = handoffs.cancel_handoff(ctx.s, ctx.actor, cmd.key, ctx.rt.policy)
    return replies.text_reply(f"Cancelled the {view.transition} hand-off of `{view.project_key}`.")


def handoffs_list(ctx: CommandContext, cmd: p.Handoffs) -> Reply:
    found = handoff_queries.open_handoffs(ctx.s, ctx.actor.team_id, ctx.rt.policy, cmd.key)
    return replies.handoffs_reply(found, utcnow())


def signoffs(ctx: CommandContext, cmd: p.Signoffs) -> Reply:
    found = handoff_queries.pending_signoffs(
        ctx.s, ctx.actor.team_id, ctx.actor.user_id, ctx.rt.policy
    )
    return replies.signoffs_reply(found)


def history(ctx: CommandContext, cmd: p.History) -> Reply:
    project = get_project(ctx.s, ctx.actor.team_id, cmd.key)
    return replies.history_reply(
        cmd.key, audit.history(ctx.s, ctx.actor.team_id, project, cmd.limit)
    )


def lineage_(ctx: CommandContext, cmd: p.Lineage) -> Reply:
    return replies.lineage_reply(cmd.key, lineage.lineage_of(ctx.s, ctx.actor.team_id, cmd.key))


def digest_now(ctx: CommandContext, cmd: p.DigestNow) -> Reply:
    """Into this channel: its own digest, or one project's when a key is given."""
    team = ctx.actor.team_id
    since = None if cmd.key else schedules.last_sent(ctx.s, team, ctx.channel_id)
    post_digest(
        ctx.s, job_context(ctx.rt), team, ctx.channel_id, utcnow(), project_key=cmd.key, since=since
    )
    return schedule_blocks.digest_posted(ctx.channel_id, cmd.key)


def digest_schedule(ctx: CommandContext, cmd: p.DigestSchedule) -> Reply:
    timezone = cmd.timezone or ctx.rt.settings.baton_timezone
    view = schedules.set_schedule(ctx.s, ctx.actor, ctx.channel_id, cmd.cron, timezone, utcnow())
    return schedule_blocks.schedule_set(view)


def monitor_add(ctx: CommandContext, cmd: p.MonitorAdd) -> Reply:
    source = None
    if cmd.source_kind is not None:
        fields = {"kind": cmd.source_kind, "url": cmd.source_url, "query": cmd.source_query}
        if cmd.every_seconds is not None:
            fields["poll_seconds"] = cmd.every_seconds
        source = MonitorSource.model_validate(fields)
    view = monitoring.add_monitor(
        ctx.s,
        ctx.actor,
        cmd.key,
        cmd.metric,
        cmd.direction,
        cmd.threshold,
        source=source,
        owner_role=cmd.owner or Role.DATA_SCIENTIST,
        sources=ctx.rt.metric_sources,
    )
    return monitor_blocks.monitor_added(view)


def monitor_list(ctx: CommandContext, cmd: p.MonitorList) -> Reply:
    found = monitoring.list_monitors(ctx.s, ctx.actor, cmd.key)
    return monitor_blocks.monitor_list(cmd.key, found, utcnow())


def monitor_remove(ctx: CommandContext, cmd: p.MonitorRemove) -> Reply:
    view = monitoring.remove_monitor(ctx.s, ctx.actor, cmd.key, cmd.metric)
    return monitor_blocks.monitor_removed(view)


def metric(ctx: CommandContext, cmd: p.Metric) -> Reply:
    result = monitoring.record_observation(
        ctx.s, ctx.actor, cmd.key, cmd.metric, cmd.value, "slack", utcnow()
    )
    return monitor_blocks.metric_recorded(result)


HANDLERS: dict[type, Callable[[CommandContext, Any], Reply]] = {
    p.Help: help_,
    p.ProjectCreate: project_create,
    p.ProjectList: project_list,
    p.ProjectArchive: project_archive,
    p.ProjectLinkModel: project_link_model,
    p.Status: status,
    p.RoleAssign: role_assign,
    p.RoleRemove: role_remove,
    p.Roles: roles,
    p.HandoffCancel: handoff_cancel,
    p.Handoffs: handoffs_list,
    p.Signoffs: signoffs,
    p.History: history,
    p.Lineage: lineage_,
    p.MonitorAdd: monitor_add,
    p.MonitorList: monitor_list,
    p.MonitorRemove: monitor_remove,
    p.Metric: metric,
    p.DigestNow: digest_now,
    p.DigestSchedule: digest_schedule,
}

# Where the class name does not say object and verb.
REFUSAL_NAMES: dict[type, str] = {
    p.HandoffOpen: "handoff.request",
    p.Metric: "metric.record",
    p.DigestNow: "digest.post",
}

# Subcommands that only read: their transactions take no write lock (SQLite's is one per file).
ANSWERS_ONLY: frozenset[type] = frozenset(
    {
        p.Help,
        p.ProjectList,
        p.Status,
        p.Roles,
        p.Handoffs,
        p.Signoffs,
        p.History,
        p.Lineage,
        p.MonitorList,
    }
)
