"""The layers, as imports: the domain knows none of ours and no Slack; handlers never reach
into jobs (a job and a handler both call services instead); jobs write no SQL (they call
services, which do)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {
    "models": {"bot", "handlers", "jobs", "slack_bolt", "slack_sdk"},
    "handlers": {"jobs"},
}


def imported_packages(path: Path) -> set[str]:
    """Top-level packages a module imports, at module level or inside functions."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def layer_violations(package: str) -> list[str]:
    return [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((ROOT / package).rglob("*.py"))
        for name in sorted(imported_packages(path) & FORBIDDEN[package])
    ]


def test_models_import_nothing_of_bot_handlers_jobs_or_slack() -> None:
    assert layer_violations("models") == []


def test_handlers_do_not_import_jobs() -> None:
    assert layer_violations("handlers") == []


def sql_builders_imported(path: Path) -> list[str]:
    """`from sqlalchemy import select` and the dialects' inserts: the makings of a query."""
    return [
        node.module
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom)
        and node.module
        and (node.module == "sqlalchemy" or node.module.startswith("sqlalchemy.dialects"))
    ]


def test_jobs_build_no_sql_of_their_own() -> None:
    found = {
        str(path.relative_to(ROOT)): sql_builders_imported(path)
        for path in sorted((ROOT / "jobs").glob("*.py"))
    }
    assert {path: names for path, names in found.items() if names} == {}


def test_the_scan_sees_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "upward.py"
    module.write_text("def f():\n    from jobs.digest import run\n    import slack_sdk.web\n")
    assert imported_packages(module) >= {"jobs", "slack_sdk"}
