"""What happened to a project: its audit trail and its model lineage."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.blocks import replies
from bot.exports import history_entries, history_unnamed, name_history_people
from handlers.registry import CommandContext, FollowUp, Reply, Subcommand, subcommand
from models.services import lineage

if TYPE_CHECKING:
    from bot.runtime import Runtime
    from handlers.parsing import Args

DEFAULT_HISTORY_LIMIT = 20
MAX_HISTORY_LIMIT = 200


@subcommand(
    "history",
    "{cmd} history <key> [N]",
    f"Audit trail, newest first (N from 1 to {MAX_HISTORY_LIMIT}, default {DEFAULT_HISTORY_LIMIT})",
    reads_only=True,
)
@dataclass(frozen=True, slots=True)
class History(Subcommand):
    key: str
    limit: int = DEFAULT_HISTORY_LIMIT

    @classmethod
    def parse(cls, args: Args) -> History:
        key, limit = args.key(), args.take_optional()
        args.end()
        return cls(key) if limit is None else cls(key, _history_limit(args, limit))

    def run(self, ctx: CommandContext) -> Reply | FollowUp:
        team = ctx.actor.team_id
        if ctx.rt.client is None or not history_unnamed(ctx.s, team, self.key, self.limit):
            return replies.history_reply(
                self.key, history_entries(ctx.s, team, self.key, self.limit)
            )
        # Someone in it has no cached name: ask Slack after the (empty) acknowledgement, then
        # answer once, with the names Slack gave.
        return FollowUp(lambda: self._named(ctx.rt, team))

    def _named(self, rt: Runtime, team: str) -> Reply:
        name_history_people(rt.session, rt.client, team, self.key, self.limit)
        with rt.session(reading=True) as s:
            return replies.history_reply(self.key, history_entries(s, team, self.key, self.limit))


def _history_limit(args: Args, word: str) -> int:
    if not word.isascii() or not word.isdigit():
        args.fail(f"'{word}' is not a whole number of events")
    if len(word) > 3 or not 1 <= int(word) <= MAX_HISTORY_LIMIT:
        args.fail(f"history shows 1 to {MAX_HISTORY_LIMIT} events, not {word}")
    return int(word)


@subcommand(
    "lineage", "{cmd} lineage <key>", "Model versions, their data and sources", reads_only=True
)
@dataclass(frozen=True, slots=True)
class Lineage(Subcommand):
    key: str

    def run(self, ctx: CommandContext) -> Reply:
        found = lineage.lineage_of(ctx.s, ctx.actor.team_id, self.key)
        return replies.lineage_reply(self.key, found)
