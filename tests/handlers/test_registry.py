"""Every subcommand is declared once and complete: words, usage, help, parser and handler."""

from __future__ import annotations

import dataclasses
import pkgutil

import pytest

import handlers.subcommands
from handlers import commands_spec, parsing
from handlers.registry import COMMANDS, CommandContext, Subcommand, subcommand


def _declared() -> set[type]:
    """Every Subcommand class the topic modules define."""
    return {
        c
        for m in commands_spec.TOPICS
        for c in vars(m).values()
        if isinstance(c, type) and issubclass(c, Subcommand) and c is not Subcommand
    }


def test_every_subcommand_class_is_registered_once() -> None:
    assert _declared() == set(COMMANDS)  # a forgotten @subcommand fails here
    names = [c.spec.name for c in COMMANDS]
    assert len(names) == len(set(names))
    assert set(commands_spec.Command.__args__) == set(COMMANDS)


@pytest.mark.parametrize("cls", COMMANDS, ids=lambda c: c.spec.name)
def test_every_subcommand_has_usage_help_a_parser_and_a_handler(cls: type[Subcommand]) -> None:
    spec = cls.spec
    assert spec.usage.startswith(f"{{cmd}} {spec.name}") and spec.help
    assert cls.run is not Subcommand.run, f"{cls.__name__} has no run()"
    assert dataclasses.is_dataclass(cls) and cls.__dataclass_params__.frozen
    assert parsing.PARSERS[spec.name] == cls.parse
    assert getattr(commands_spec, cls.__name__) is cls  # importable by name, as before


def test_every_topic_module_is_listed_for_help() -> None:
    modules = {m.name for m in pkgutil.iter_modules(handlers.subcommands.__path__)}
    assert {m.__name__.rsplit(".", 1)[1] for m in commands_spec.TOPICS} == modules
    assert [c.spec.usage for c in COMMANDS] == list(commands_spec.USAGE.values())


def test_the_default_parser_reads_a_key_an_optional_key_or_nothing() -> None:
    assert parsing.parse("roles churn-model") == parsing.Roles("churn-model")
    assert parsing.parse("handoffs") == parsing.Handoffs(None)
    assert parsing.parse("signoffs") == parsing.Signoffs()
    with pytest.raises(parsing.UsageError, match="unexpected extra arguments: x"):
        parsing.parse("signoffs x")


def test_a_declaration_that_cannot_be_parsed_or_clashes_is_refused_at_import() -> None:
    before = list(COMMANDS)

    @dataclasses.dataclass(frozen=True)
    class Wider(Subcommand):
        key: str
        extra: int

        def run(self, ctx: CommandContext) -> dict:
            return {}

    with pytest.raises(TypeError, match="give it a parse"):
        subcommand("wider", "{cmd} wider <key> <n>", "Needs its own parser")(Wider)
    with pytest.raises(TypeError, match="already called 'status'"):
        subcommand("status", "{cmd} status <key>", "A second status")(parsing.Status)
    with pytest.raises(TypeError, match="does not start with"):
        subcommand("other", "{cmd} status <key>", "Usage of another")(parsing.Status)
    assert before == COMMANDS


def test_help_order_does_not_depend_on_which_module_is_imported_first() -> None:
    """The registry keeps help's order itself: a topic module imported early changes nothing."""
    import subprocess
    import sys

    show = "from handlers.registry import COMMANDS; print([c.spec.name for c in COMMANDS])"
    early = "import handlers.subcommands.digest, handlers.subcommands.help; "
    names = subprocess.run(
        [sys.executable, "-c", early + show], capture_output=True, text=True, check=True
    ).stdout
    topics = {"handlers.subcommands.help", "handlers.subcommands.digest"}
    assert names == f"{[c.spec.name for c in COMMANDS if c.__module__ in topics]}\n"


def test_the_tables_are_read_from_the_registry() -> None:
    assert {c.spec.name: c.spec.usage for c in COMMANDS} == commands_spec.USAGE
    assert [(c.spec.usage, c.spec.help) for c in COMMANDS] == commands_spec.HELP
    assert parsing.VERBS == commands_spec.VERBS and parsing.VERBS["project"]
