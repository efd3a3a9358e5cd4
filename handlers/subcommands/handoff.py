"""Hand-offs: open the form, cancel, and the lists of what waits on whom."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.blocks import handoff as handoff_blocks
from bot.blocks import replies
from handlers.registry import CommandContext, OpenView, Reply, Subcommand, subcommand
from models.base import utcnow
from models.enums import Stage
from models.services import handoff_queries, handoffs

if TYPE_CHECKING:
    from handlers.parsing import Args

FORM_FAILED = "Slack did not open the hand-off form in time. Nothing was changed; please run the command again."


@subcommand(
    "handoff",
    "{cmd} handoff <key> [to-stage]",
    "Open the hand-off form; default: the next stage",
    reads_only=True,  # the form is checked, not saved: its submission writes
    refusal="handoff.request",
)
@dataclass(frozen=True, slots=True)
class HandoffOpen(Subcommand):
    key: str
    to_stage: Stage | None = None

    @classmethod
    def parse(cls, args: Args) -> HandoffOpen:
        key, stage = args.key(), args.take_optional()
        args.end()
        return cls(key, args.stage(stage) if stage is not None else None)

    def run(self, ctx: CommandContext) -> OpenView:
        form = handoffs.form_for(ctx.s, ctx.actor, self.key, self.to_stage, ctx.rt.policy)
        view = handoff_blocks.form_view(
            form.key, form.transition, form.prefill, form.resubmit, form.stand_ins
        )
        return OpenView(view, FORM_FAILED)


@subcommand("handoff cancel", "{cmd} handoff cancel <key>", "Cancel the project's open hand-off")
@dataclass(frozen=True, slots=True)
class HandoffCancel(Subcommand):
    key: str

    def run(self, ctx: CommandContext) -> Reply:
        view = handoffs.cancel_handoff(ctx.s, ctx.actor, self.key, ctx.rt.policy)
        return replies.text_reply(
            f"Cancelled the {view.transition} hand-off of `{view.project_key}`."
        )


@subcommand(
    "handoffs",
    "{cmd} handoffs [key]",
    "Open hand-offs, their age and who they wait on",
    reads_only=True,
)
@dataclass(frozen=True, slots=True)
class Handoffs(Subcommand):
    key: str | None = None

    def run(self, ctx: CommandContext) -> Reply:
        found = handoff_queries.open_handoffs(ctx.s, ctx.actor.team_id, ctx.rt.policy, self.key)
        return replies.handoffs_reply(found, utcnow())


@subcommand("signoffs", "{cmd} signoffs", "My pending sign-offs", reads_only=True)
@dataclass(frozen=True, slots=True)
class Signoffs(Subcommand):
    def run(self, ctx: CommandContext) -> Reply:
        found = handoff_queries.pending_signoffs(
            ctx.s, ctx.actor.team_id, ctx.actor.user_id, ctx.rt.policy
        )
        return replies.signoffs_reply(found)
