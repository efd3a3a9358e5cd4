"""Every audit event type written anywhere in the code has a sentence, and sentences read."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

from models.enums import Decision
from models.sentences import ATTEMPTS, TEMPLATES, Names, sentence

ROOT = Path(__file__).resolve().parents[2]
CODE = ("models", "handlers", "bot", "jobs")


def _written_actions() -> tuple[set[str], set[str]]:
    """(literal action names, f-string prefixes) of every audit.record/record_refusal call."""
    literal: set[str] = set()
    prefixes: set[str] = set()
    for folder in CODE:
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call) or len(node.args) < 3:
                    continue
                func = node.func
                name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
                if name == "record":
                    _collect(node.args[2], module, literal, prefixes)
                elif name in ("record_refusal", "audit_refusal"):
                    refused: set[str] = set()
                    _collect(node.args[2], module, refused, set())
                    literal.update(f"refused.{r}" for r in refused)
    return literal, prefixes


def _collect(arg: ast.expr, module: str, literal: set[str], prefixes: set[str]) -> None:
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        literal.add(arg.value)
    elif isinstance(arg, ast.JoinedStr):
        head = arg.values[0]
        assert isinstance(head, ast.Constant), ast.unparse(arg)
        prefixes.add(str(head.value))
    elif isinstance(arg, ast.Name):
        value = getattr(importlib.import_module(module), arg.id, None)
        if isinstance(value, str):
            literal.add(value)


def test_every_audit_event_type_in_the_code_has_a_sentence():
    literal, prefixes = _written_actions()
    assert len(literal) > 25 and "signoff." in prefixes and "refused." in prefixes
    # The two computed names: a decision, and a refused decision (handlers/actions.py).
    actions = literal | {f"signoff.{d.value}" for d in Decision}
    actions |= {f"refused.handoff.{d.value}" for d in Decision}
    missing = sorted(
        a
        for a in actions
        if not (a in TEMPLATES or (a.startswith("refused.") and a[8:] in ATTEMPTS))
    )
    assert missing == [], f"audit event types without a sentence in models/sentences.py: {missing}"
    assert prefixes <= {"signoff.", "refused."}, "a new computed event type needs a sentence test"


NAMES = Names(
    people={"UMEI": "Mei Tanaka", "UGRACE": "Grace Kim", "UJON": "Jon Alvarez", "UMAL": "Mallory"},
    handoffs={7: "manage → develop"},
)


@pytest.mark.parametrize(
    ("action", "actor", "detail", "expected"),
    [
        (
            "signoff.rejected",
            "UMEI",
            {"handoff_id": 7, "round": 2, "roles": ["domain_expert"], "reason": "Too early"},
            "Mei Tanaka rejected manage → develop (round 2): “Too early”",
        ),
        (
            "role.assigned",
            "UGRACE",
            {"role": "compliance", "user": "UJON", "lead": True},
            "Grace Kim made Jon Alvarez Legal / compliance lead",
        ),
        (
            "role.assigned",
            "UGRACE",
            {"role": "compliance", "user": "UJON", "lead": False},
            "Grace Kim added Jon Alvarez to Legal / compliance",
        ),
        (
            "refused.handoff.approve",
            "UMAL",
            {"handoff": 7, "reason": "Only the lead of a required role can approve this."},
            "Mallory tried to approve manage → develop — refused: "
            "Only the lead of a required role can approve this.",
        ),
        (
            "signoff.approved",
            "UMEI",
            {"handoff_id": 7, "round": 1, "roles": ["domain_expert", "ml_architect"]},
            "Mei Tanaka approved manage → develop (round 1) as Domain expert / business translator and ML architect",
        ),
        ("handoff.cancelled", "UX9", {"handoff_id": 99}, "UX9 cancelled hand-off #99"),
        (
            "role.assigned",
            "UGRACE",
            {"role": "business_manager", "user": "UGRACE", "lead": True},
            "Grace Kim made themselves Business manager lead",
        ),
        (
            "project.overseer_set",
            "UGRACE",
            {"user": "UJON", "previous_overseer": "UMEI"},
            "Grace Kim named Jon Alvarez overseer of churn-model, in place of Mei Tanaka",
        ),
        (
            "project.overseer_set",
            "UGRACE",
            {"user": None, "previous_overseer": "UJON"},
            "Grace Kim removed Jon Alvarez as overseer of churn-model",
        ),
        (  # the lead steps down and names who leads next (roster.assign_unchecked)
            "role.lead_changed",
            "UMEI",
            {"role": "data_scientist", "previous_lead": "UMEI", "new_lead": "UJON"},
            "Mei Tanaka stepped down as Data scientist lead; Jon Alvarez leads it now",
        ),
        (
            "role.lead_changed",
            "UMEI",
            {"role": "data_scientist", "previous_lead": "UMEI", "new_lead": ""},
            "Mei Tanaka stepped down as Data scientist lead; no lead now",
        ),
        (  # a manager makes the change
            "role.lead_changed",
            "UGRACE",
            {"role": "data_scientist", "previous_lead": "UMEI", "new_lead": "UJON"},
            "Grace Kim stood Mei Tanaka down as Data scientist lead; Jon Alvarez leads it now",
        ),
        (
            "role.lead_changed",
            "UGRACE",
            {"role": "data_scientist", "previous_lead": "UMEI", "new_lead": ""},
            "Grace Kim stood Mei Tanaka down as Data scientist lead; no lead now",
        ),
        (  # written before new_lead was recorded: true whoever leads next
            "role.lead_changed",
            "UGRACE",
            {"role": "data_scientist", "previous_lead": "UMEI"},
            "Mei Tanaka is no longer Data scientist lead",
        ),
    ],
)
def test_sentences_name_people_roles_and_transitions(action, actor, detail, expected):
    assert sentence(action, actor, detail, "churn-model", NAMES) == expected


def test_an_unknown_event_type_still_reads():
    assert sentence("future.thing", "UMEI", {}, None, NAMES) == "Mei Tanaka: future.thing"


def _listener_refusals() -> set[str]:
    """The refusal names every `listener(rt, kind, name)` in handlers/ is declared with."""
    names: set[str] = set()
    for path in (ROOT / "handlers").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", "") == "listener"
                and len(node.args) == 3
                and isinstance(node.args[2], ast.Constant)
            ):
                names.add(str(node.args[2].value))
    return names


def test_every_refusal_a_listener_can_write_reads_as_a_sentence():
    """Slash commands name their refusals from their class (handlers/commands.refusal_name),
    buttons, modals and events from their listener, a reason modal from its decision
    (handlers/views.VERBS): each such name has its own words."""
    import inspect

    from handlers import commands_spec, views
    from handlers.commands import refusal_name

    commands = [
        c
        for c in vars(commands_spec).values()
        if inspect.isclass(c)
        and issubclass(c, commands_spec.Command)
        and c is not commands_spec.Command
    ]
    declared = _listener_refusals()
    assert {"handoff.approve", "alert.ack", "command.run", "home.open"} <= declared  # walk works
    names = {refusal_name(c.__new__(c)) for c in commands} | declared
    names |= {f"handoff.{verb}" for verb in views.VERBS.values()}
    assert sorted(n for n in names if n not in ATTEMPTS) == []


def test_refusal_sentences_read_for_every_known_attempt():
    for name in ATTEMPTS:
        said = sentence(f"refused.{name}", "UMAL", {"handoff": 7, "reason": "no"}, "churn", NAMES)
        assert said.startswith("Mallory tried to ") and said.endswith(" — refused: no"), said
        assert "?" not in said and "{" not in said, said
