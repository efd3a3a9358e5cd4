"""The digest of a channel's projects: post it now, or on a schedule."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.blocks import schedules as schedule_blocks
from handlers.registry import CommandContext, Reply, Subcommand, subcommand
from models.base import utcnow
from models.services import schedules
from models.services.digest_post import DigestTarget, post_digest

if TYPE_CHECKING:
    from handlers.parsing import Args


@subcommand(
    "digest now", "{cmd} digest now [key]", "Post the digest here now", refusal="digest.post"
)
@dataclass(frozen=True, slots=True)
class DigestNow(Subcommand):
    key: str | None = None

    def run(self, ctx: CommandContext) -> Reply:
        """Into this channel: its own digest, or one project's when a key is given."""
        target = DigestTarget(ctx.actor.team_id, ctx.channel_id, self.key)
        post_digest(ctx.s, target, utcnow(), ctx.rt.policy)
        return schedule_blocks.digest_posted(ctx.channel_id, self.key)


@subcommand(
    "digest schedule",
    '{cmd} digest schedule "<cron>" [timezone]',
    'Post the digest in this channel on a schedule, e.g. "0 9 * * 1-5" Europe/Berlin',
)
@dataclass(frozen=True, slots=True)
class DigestSchedule(Subcommand):
    """`cron` is a standard 5-field crontab whose day-of-week field is always written with
    names (mon, tue, ...) or `*`, because APScheduler 3 reads weekday *numbers* with
    0 = Monday while crontab means Sunday; names mean the same to both."""

    cron: str
    timezone: str | None = None

    @classmethod
    def parse(cls, args: Args) -> DigestSchedule:
        expr = args.take('the schedule, e.g. "0 9 * * 1-5"')
        if not any(c.isspace() for c in expr):  # the fields typed without quotes: take up to five
            more = (args.take_optional() for _ in range(4))
            expr = " ".join([expr, *(word for word in more if word is not None)])
        tz = args.take_optional()
        args.end()
        return cls(args.crontab(expr), args.timezone(tz) if tz is not None else None)

    def run(self, ctx: CommandContext) -> Reply:
        timezone = self.timezone or ctx.rt.settings.baton_timezone
        view = schedules.set_schedule(
            ctx.s, ctx.actor, ctx.channel_id, self.cron, timezone, utcnow()
        )
        return schedule_blocks.schedule_set(view)
