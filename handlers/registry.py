"""How a `/mlops` subcommand is declared: one class that carries everything about it.

A subcommand is a frozen dataclass deriving from `Subcommand`, decorated with
`@subcommand(name, usage, help)`. The class holds its arguments (the fields), its words,
usage and help (`spec`), whether it only reads, how its arguments are read (`parse`, derived
from the fields when they are just a project key) and what it does (`run`: one service
call, one rendered reply). The dispatcher (`handlers/commands.py`), the parser
(`handlers/parsing.py`) and help find all of it by class; nothing else lists subcommands.

Usage templates hold a `{cmd}` placeholder for the configured slash command's name.
"""

from __future__ import annotations

import bisect
import dataclasses
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar

from sqlalchemy.orm import Session

from bot.blocks.text import DEFAULT_SLASH_COMMAND
from handlers.subcommands import TOPICS
from models.schemas.base import Actor

if TYPE_CHECKING:
    from bot.runtime import Runtime
    from handlers.parsing import Args

DEFAULT_COMMAND = DEFAULT_SLASH_COMMAND
Reply = dict[str, Any]  # what the acknowledgement carries; "response_type" defaults to ephemeral


@dataclass(frozen=True, slots=True)
class Spec:
    name: str  # the words that select it: "status", "role assign"
    usage: str  # "{cmd} role assign <key> <role> @user [lead]"
    help: str  # one line, shown by `help`
    reads_only: bool = False  # its transaction takes no write lock (SQLite's is one per file)
    refusal: str | None = None  # audit name of a refusal, where the class name does not say it


@dataclass
class CommandContext:
    rt: Runtime
    s: Session
    actor: Actor
    channel_id: str
    command: str  # the slash command as configured, e.g. /mlops
    detail: dict[str, Any] = field(default_factory=dict)  # what a refusal's audit records


@dataclass(frozen=True)
class OpenView:
    """A reply that is a modal: opened after the transaction, with the request's trigger."""

    view: dict[str, Any]
    failed: str  # what the user reads when Slack does not open it


@dataclass(frozen=True)
class FollowUp:
    """An answer that needs Slack first: the acknowledgement goes out empty at once, then
    `then` runs (outside the command's transaction; it may call Slack) and its reply is the
    one answer, sent through response_url. One answer, never a first one to replace: a
    slash command's acknowledgement is not a message that can be edited."""

    then: Callable[[], Reply]


class Subcommand:
    """Base of every subcommand; see the module docstring."""

    __slots__ = ()
    spec: ClassVar[Spec]

    @classmethod
    def parse(cls, args: Args) -> Self:
        """Reads the arguments; this default serves classes whose only field is a project key."""
        names = [f.name for f in dataclasses.fields(cls)]  # type: ignore[arg-type]
        if not names:
            args.end()
            return cls()
        key = args.optional_key() if _key_is_optional(cls) else args.key()
        args.end()
        return cls(key)  # type: ignore[call-arg]

    def run(self, ctx: CommandContext) -> Reply | OpenView | FollowUp:
        raise NotImplementedError(f"{type(self).__name__} has no run()")


COMMANDS: list[type[Subcommand]] = []  # in the order help lists them: by topic, as declared
C = TypeVar("C", bound=type[Subcommand])


def subcommand(
    name: str, usage: str, help: str, *, reads_only: bool = False, refusal: str | None = None
) -> Callable[[C], C]:
    """Register a subcommand class; its usage must start with `{cmd} <name>`."""

    def register(cls: C) -> C:
        if not usage.startswith(f"{{cmd}} {name}"):
            raise TypeError(f"{cls.__name__}: usage {usage!r} does not start with {name!r}")
        if any(c.spec.name == name for c in COMMANDS):
            raise TypeError(f"{cls.__name__}: another subcommand is already called {name!r}")
        if cls.parse.__func__ is Subcommand.parse.__func__ and not _default_parse_fits(cls):  # type: ignore[attr-defined]
            raise TypeError(f"{cls.__name__} has fields other than `key`: give it a parse()")
        cls.spec = Spec(name, usage, help, reads_only, refusal)
        bisect.insort(COMMANDS, cls, key=_topic_rank)  # after its topic's earlier ones
        return cls

    return register


def _topic_rank(cls: type) -> int:
    """Where help lists the class's topic module (one outside handlers/subcommands: last)."""
    package, _, topic = cls.__module__.rpartition(".")
    in_topics = package == "handlers.subcommands" and topic in TOPICS
    return TOPICS.index(topic) if in_topics else len(TOPICS)


def _default_parse_fits(cls: type) -> bool:
    return [f.name for f in dataclasses.fields(cls)] in ([], ["key"])


def _key_is_optional(cls: type) -> bool:
    (key,) = dataclasses.fields(cls)
    return key.default is None


def by_name() -> dict[str, type[Subcommand]]:
    return {c.spec.name: c for c in COMMANDS}


def usages() -> dict[str, str]:
    """Subcommand name → its usage template (with `{cmd}`), in help's order."""
    return {c.spec.name: c.spec.usage for c in COMMANDS}


def usage_for(name: str, command: str = DEFAULT_COMMAND) -> str:
    """The usage line of subcommand `name` for the configured command."""
    return by_name()[name].spec.usage.replace("{cmd}", command)


def help_entries(command: str = DEFAULT_COMMAND, topic: str | None = None) -> list[tuple[str, str]]:
    """(usage, description) pairs for `help [topic]`; the topic is a subcommand or its first word."""
    return [
        (c.spec.usage.replace("{cmd}", command), c.spec.help)
        for c in COMMANDS
        if topic is None or c.spec.name == topic or c.spec.name.partition(" ")[0] == topic
    ]


def verbs() -> dict[str, tuple[str, ...]]:
    """Subcommands that take a verb: {"project": ("create", "list", ...), ...}."""
    found: dict[str, tuple[str, ...]] = {}
    for c in COMMANDS:
        head, _, verb = c.spec.name.partition(" ")
        if verb:
            found[head] = (*found.get(head, ()), verb)
    return found
