"""Every `/mlops` subcommand, in the order help lists them, and the tables derived from them.

Each subcommand is declared once, as a class in a topic module of `handlers/subcommands/`
(see `handlers/registry.py`). This module imports the topic modules (which registers their
classes, in help's order: see `handlers/subcommands/TOPICS`), re-exports them by class name,
and `Command`, the union of every subcommand class. `USAGE` (name → usage template), `HELP`
(usage, description) and `VERBS` (subcommands that take a verb) are read from the registry.
Nothing here is written per subcommand; a new topic module is added to `subcommands.TOPICS`.
"""

from __future__ import annotations

import functools
import importlib
import operator
from typing import Any

from handlers import registry, subcommands
from handlers.registry import COMMANDS, DEFAULT_COMMAND, Subcommand, help_entries, usage_for
from handlers.subcommands.records import DEFAULT_HISTORY_LIMIT, MAX_HISTORY_LIMIT

TOPICS = tuple(importlib.import_module(f"{subcommands.__name__}.{t}") for t in subcommands.TOPICS)
Command = functools.reduce(operator.or_, COMMANDS)  # type: ignore[arg-type]

# `from handlers.commands_spec import Status` (and `parsing.Status`) keep working.
globals().update({c.__name__: c for c in COMMANDS})

# The tables are the registry's, read when asked for (never a copy made at import).
_TABLES = {
    "USAGE": registry.usages,
    "HELP": lambda: help_entries("{cmd}"),
    "VERBS": registry.verbs,
}


def __getattr__(name: str) -> Any:
    if name in _TABLES:
        return _TABLES[name]()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "DEFAULT_COMMAND",
    "DEFAULT_HISTORY_LIMIT",
    "MAX_HISTORY_LIMIT",
    "Command",
    "Subcommand",
    "help_entries",
    "usage_for",
    *(c.__name__ for c in COMMANDS),
]
