"""Listener modules share helpers through common modules (handlers/forms.py), never by
importing one another: each is wired to Slack once, by bot/app.py."""

from __future__ import annotations

import ast
from pathlib import Path

import handlers

LISTENERS = {"actions", "commands", "home", "project_setup", "views"}


def _imports(path: Path) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{a.name}" for a in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
    return found


def test_no_handler_module_imports_a_listener_module():
    root = Path(handlers.__file__).parent
    offending = {
        str(path.relative_to(root)): sorted(name)
        for path in root.rglob("*.py")
        if (name := _imports(path) & {f"handlers.{m}" for m in LISTENERS})
    }
    assert offending == {}
