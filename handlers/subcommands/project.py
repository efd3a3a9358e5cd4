"""Projects: create, list, archive, link an MLflow model, and the status card."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.blocks import replies
from bot.blocks.text import escape
from handlers.forms import SETUP_FAILED, setup_form
from handlers.registry import CommandContext, OpenView, Reply, Subcommand, subcommand
from models.base import utcnow
from models.services import digest, projects
from models.services.integrations import link_model

if TYPE_CHECKING:
    from handlers.parsing import Args


@subcommand(
    "project create",
    "{cmd} project create [<key> [display name]]",
    "Create a project whose home channel is this channel; with no key, open the set-up form "
    "(channel and every role lead picked there)",
)
@dataclass(frozen=True, slots=True)
class ProjectCreate(Subcommand):
    key: str = ""  # none: the set-up form, its home channel defaulting to this one
    name: str | None = None

    @classmethod
    def parse(cls, args: Args) -> ProjectCreate:
        if not args.remaining():
            return cls()
        return cls(args.new_key(), args.display_name())

    def run(self, ctx: CommandContext) -> Reply | OpenView:
        if not self.key:
            return OpenView(setup_form(ctx.rt, ctx.channel_id), SETUP_FAILED)
        summary = projects.create_project(ctx.s, ctx.actor, self.key, self.name, ctx.channel_id)
        return {**replies.project_created(summary), "response_type": "in_channel"}


@subcommand(
    "project list", "{cmd} project list", "List the projects of this workspace", reads_only=True
)
@dataclass(frozen=True, slots=True)
class ProjectList(Subcommand):
    def run(self, ctx: CommandContext) -> Reply:
        return replies.project_list(projects.list_projects(ctx.s, ctx.actor.team_id))


@subcommand("project archive", "{cmd} project archive <key>", "Archive a project")
@dataclass(frozen=True, slots=True)
class ProjectArchive(Subcommand):
    key: str

    def run(self, ctx: CommandContext) -> Reply:
        return replies.project_archived(projects.archive_project(ctx.s, ctx.actor, self.key))


@subcommand(
    "project link-model",
    "{cmd} project link-model <key> <model name>",
    "Record the versions of an MLflow registered model in the project's lineage",
)
@dataclass(frozen=True, slots=True)
class ProjectLinkModel(Subcommand):
    """Versions of MLflow registered model `model` enter project `key`'s lineage."""

    key: str
    model: str

    @classmethod
    def parse(cls, args: Args) -> ProjectLinkModel:
        return cls(args.key(), args.model_name())

    def run(self, ctx: CommandContext) -> Reply:
        link = link_model(ctx.s, ctx.actor, self.key, self.model)
        alias = escape(ctx.rt.settings.baton_mlflow_alias)
        return replies.text_reply(
            f"MLflow model *{escape(link.registered_model)}* is linked to `{link.project_key}`: "
            f"its new versions enter the lineage, and the alias `{alias}` on a version requests "
            "develop → deploy."
        )


@subcommand(
    "status",
    "{cmd} status <key>",
    "Project card: stage, owners, open hand-off, monitors",
    reads_only=True,
)
@dataclass(frozen=True, slots=True)
class Status(Subcommand):
    key: str

    def run(self, ctx: CommandContext) -> Reply:
        now = utcnow()
        view = digest.project_status(ctx.s, ctx.actor.team_id, self.key, ctx.rt.policy, now)
        return replies.status_card(view, now)


@subcommand(
    "overseer",
    "{cmd} overseer <key> @user|none",
    "Name the person who may stop the project at any time (retrain or archive), or clear it",
    refusal="project.overseer",
)
@dataclass(frozen=True, slots=True)
class Overseer(Subcommand):
    key: str
    user_id: str | None  # None clears it

    @classmethod
    def parse(cls, args: Args) -> Overseer:
        key, user = args.key(), args.user_or_none()
        args.end()
        return cls(key, user)

    def run(self, ctx: CommandContext) -> Reply:
        summary = projects.set_overseer(ctx.s, ctx.actor, self.key, self.user_id)
        return {**replies.overseer_reply(summary), "response_type": "in_channel"}
