"""The `/mlops` subcommands, one class each: arguments, words, usage, help, parse and run.

A module per topic; `handlers/commands_spec.py` imports them in the order help lists them.
To add a subcommand, declare its class in the module of its topic (see `handlers/registry.py`),
with its service in `models/services/` and its reply in `bot/blocks/`.
"""
