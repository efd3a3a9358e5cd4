"""Monitors: alert on a metric, list and remove them, record a value by hand."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from bot.blocks import monitors as monitor_blocks
from handlers.registry import CommandContext, Reply, Subcommand, subcommand
from models.base import utcnow
from models.enums import Role
from models.schemas.monitoring import MonitorSource
from models.services import monitoring

if TYPE_CHECKING:
    from handlers.parsing import Args

SOURCE_KINDS = ("prometheus", "json")


@subcommand(
    "monitor add",
    "{cmd} monitor add <key> <metric> <min|max> <threshold> [owner <role>] "
    '[prometheus <url> "<query>" | json <url> <field.path>] [every <seconds>]',
    "Alert the owner (data scientist lead by default) when a metric falls below a min or "
    "rises above a max; with a source, Baton polls it. A Prometheus <url> is the server's "
    "base URL (http://prom:9090) or its query endpoint (http://prom:9090/api/v1/query); "
    "a json <url> answers JSON and <field.path> picks the number (data.auc). Private "
    "addresses need the operator's BATON_METRIC_SOURCES_ALLOW",
)
@dataclass(frozen=True, slots=True)
class MonitorAdd(Subcommand):
    key: str
    metric: str
    direction: Literal["min", "max"]
    threshold: float
    owner: Role | None = None  # default: the data scientist lead
    source_kind: Literal["prometheus", "json"] | None = None
    source_url: str | None = None
    source_query: str | None = None  # PromQL, or a dotted field path of the JSON answer
    every_seconds: int | None = None

    @classmethod
    def parse(cls, args: Args) -> MonitorAdd:
        key, metric, way = args.key(), args.metric(), args.direction()
        threshold = args.number("threshold")
        options = _options(args)
        if "every_seconds" in options and "source_kind" not in options:
            args.fail(
                "'every' needs a source to poll (prometheus <url> \"<query>\" or json <url> <path>)"
            )
        return cls(key, metric, way, threshold, **options)

    def run(self, ctx: CommandContext) -> Reply:
        view = monitoring.add_monitor(
            ctx.s,
            ctx.actor,
            self.key,
            self.metric,
            self.direction,
            self.threshold,
            source=self._source(),
            owner_role=self.owner or Role.DATA_SCIENTIST,
            sources=ctx.rt.metric_sources,
        )
        return monitor_blocks.monitor_added(view)

    def _source(self) -> MonitorSource | None:
        if self.source_kind is None:
            return None
        fields = {"kind": self.source_kind, "url": self.source_url, "query": self.source_query}
        if self.every_seconds is not None:
            fields["poll_seconds"] = self.every_seconds
        return MonitorSource.model_validate(fields)


def _options(args: Args) -> dict[str, Any]:
    """owner <role>, prometheus|json <url> <query>, every <seconds>: each at most once."""
    options: dict[str, Any] = {}
    while (word := args.take_optional()) is not None:
        option = word.lower()
        if option in options or (option in SOURCE_KINDS and "source_kind" in options):
            args.fail(f"'{word}' is given twice")
        if option == "owner":
            options["owner"] = args.role("the owner's role")
        elif option in SOURCE_KINDS:
            what = "the PromQL query" if option == "prometheus" else "the field path, e.g. data.auc"
            options |= {"source_kind": option, "source_url": args.url(f"the {option} URL")}
            options["source_query"] = args.source_query(what)
        elif option == "every":
            options["every_seconds"] = args.poll_seconds()
        else:
            args.fail(
                f"'{word}' is not an option of monitor add: use owner, prometheus, json or every"
            )
    return options


@subcommand(
    "monitor list", "{cmd} monitor list <key>", "The monitors of a project", reads_only=True
)
@dataclass(frozen=True, slots=True)
class MonitorList(Subcommand):
    key: str

    def run(self, ctx: CommandContext) -> Reply:
        found = monitoring.list_monitors(ctx.s, ctx.actor, self.key)
        return monitor_blocks.monitor_list(self.key, found, utcnow())


@subcommand("monitor remove", "{cmd} monitor remove <key> <metric>", "Stop monitoring a metric")
@dataclass(frozen=True, slots=True)
class MonitorRemove(Subcommand):
    key: str
    metric: str

    @classmethod
    def parse(cls, args: Args) -> MonitorRemove:
        key, metric = args.key(), args.metric()
        args.end()
        return cls(key, metric)

    def run(self, ctx: CommandContext) -> Reply:
        view = monitoring.remove_monitor(ctx.s, ctx.actor, self.key, self.metric)
        return monitor_blocks.monitor_removed(view)


@subcommand(
    "metric",
    "{cmd} metric <key> <metric> <value>",
    "Record a metric value by hand",
    refusal="metric.record",
)
@dataclass(frozen=True, slots=True)
class Metric(Subcommand):
    key: str
    metric: str
    value: float

    @classmethod
    def parse(cls, args: Args) -> Metric:
        key, metric, value = args.key(), args.metric(), args.number("value")
        args.end()
        return cls(key, metric, value)

    def run(self, ctx: CommandContext) -> Reply:
        result = monitoring.record_observation(
            ctx.s, ctx.actor, self.key, self.metric, self.value, "slack", utcnow()
        )
        return monitor_blocks.metric_recorded(result)
