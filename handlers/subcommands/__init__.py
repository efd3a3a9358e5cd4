"""The `/mlops` subcommands, one class each: arguments, words, usage, help, parse and run.

A module per topic, listed in `TOPICS` in the order help lists them (the registry keeps its
subcommands in that order whichever module is imported first; `handlers/commands_spec.py`
imports them all).
To add a subcommand, declare its class in the module of its topic (see `handlers/registry.py`),
with its service in `models/services/` and its reply in `bot/blocks/`.
"""

TOPICS = ("help", "project", "roster", "handoff", "away", "records", "monitor", "digest")
