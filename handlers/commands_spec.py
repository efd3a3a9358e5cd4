"""Every `/mlops` subcommand, in the order help lists them, and the tables derived from them.

Each subcommand is declared once, as a class in a topic module of `handlers/subcommands/`
(see `handlers/registry.py`). This module imports the topic modules (which registers their
classes), puts the classes in help's order, re-exports them by class name, and derives what
callers look up: `USAGE` (name → usage template), `HELP` (usage, description), `VERBS`
(subcommands that take a verb) and `Command`, the union of every subcommand class.
Nothing here is written per subcommand; a new topic module is added to `TOPICS`.
"""

from __future__ import annotations

import functools
import operator

from handlers.registry import COMMANDS, DEFAULT_COMMAND, Subcommand, help_entries, usage_for, verbs
from handlers.subcommands import away, digest, handoff, help, monitor, project, records, roster
from handlers.subcommands.records import DEFAULT_HISTORY_LIMIT, MAX_HISTORY_LIMIT

TOPICS = (help, project, roster, handoff, away, records, monitor, digest)  # help lists them so
_ORDER = [m.__name__ for m in TOPICS]
COMMANDS.sort(key=lambda c: _ORDER.index(c.__module__))  # stable: declaration order within one

USAGE: dict[str, str] = {c.spec.name: c.spec.usage for c in COMMANDS}
HELP: list[tuple[str, str]] = [(c.spec.usage, c.spec.help) for c in COMMANDS]
VERBS: dict[str, tuple[str, ...]] = verbs()
Command = functools.reduce(operator.or_, COMMANDS)  # type: ignore[arg-type]

# `from handlers.commands_spec import Status` (and `parsing.Status`) keep working.
globals().update({c.__name__: c for c in COMMANDS})
__all__ = [
    "DEFAULT_COMMAND",
    "DEFAULT_HISTORY_LIMIT",
    "HELP",
    "MAX_HISTORY_LIMIT",
    "USAGE",
    "VERBS",
    "Command",
    "Subcommand",
    "help_entries",
    "usage_for",
    *(c.__name__ for c in COMMANDS),
]
