"""Who holds which role on a project: assign, remove, list."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.blocks import replies
from handlers.registry import CommandContext, Reply, Subcommand, subcommand
from models.enums import Role
from models.services import roster

if TYPE_CHECKING:
    from handlers.parsing import Args


@subcommand(
    "role assign",
    "{cmd} role assign <key> <role> @user [lead]",
    "Give someone a role on a project, optionally as its lead",
)
@dataclass(frozen=True, slots=True)
class RoleAssign(Subcommand):
    key: str
    role: Role
    user_id: str
    lead: bool = False

    @classmethod
    def parse(cls, args: Args) -> RoleAssign:
        key, role, user = args.key(), args.role(), args.user()
        flag = args.take_optional()
        if flag is not None and flag.lower() != "lead":
            args.fail(f"expected 'lead' or nothing after the user, not '{flag}'")
        args.end()
        return cls(key, role, user, lead=flag is not None)

    def run(self, ctx: CommandContext) -> Reply:
        holders = roster.assign_role(
            ctx.s, ctx.actor, self.key, self.role, self.user_id, lead=self.lead
        )
        if self.lead:
            return replies.roles_reply(self.key, holders)
        return replies.member_added(self.key, holders, self.role, self.user_id)


@subcommand("role remove", "{cmd} role remove <key> <role> @user", "Take a role on a project away")
@dataclass(frozen=True, slots=True)
class RoleRemove(Subcommand):
    key: str
    role: Role
    user_id: str

    @classmethod
    def parse(cls, args: Args) -> RoleRemove:
        key, role, user = args.key(), args.role(), args.user()
        args.end()
        return cls(key, role, user)

    def run(self, ctx: CommandContext) -> Reply:
        holders = roster.remove_role(ctx.s, ctx.actor, self.key, self.role, self.user_id)
        return replies.roles_reply(self.key, holders)


@subcommand("roles", "{cmd} roles <key>", "Who holds which role on a project", reads_only=True)
@dataclass(frozen=True, slots=True)
class Roles(Subcommand):
    key: str

    def run(self, ctx: CommandContext) -> Reply:
        return replies.roles_reply(self.key, roster.roster_of(ctx.s, ctx.actor.team_id, self.key))
