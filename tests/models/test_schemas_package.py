"""Every schema the domain returns is declared in models/schemas/, nowhere else in models/."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import models
from models.schemas.base import View

# Declared in a module another branch owns at the moment; move it to models/schemas/ with it.
NOT_YET_MOVED: set[str] = set()


def _views_declared_in_models() -> set[str]:
    found = set()
    for info in pkgutil.walk_packages(models.__path__, "models."):
        if ".migrations" in info.name:
            continue
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if inspect.isclass(obj) and issubclass(obj, View) and obj.__module__ == info.name:
                found.add(f"{info.name}.{name}")
    return found


def test_result_schemas_live_in_the_schemas_package():
    outside = {
        path
        for path in _views_declared_in_models()
        if not path.startswith("models.schemas.") and path not in NOT_YET_MOVED
    }
    assert outside == set(), f"declare these in models/schemas/: {sorted(outside)}"


def test_the_package_holds_the_schemas_it_lists():
    declared = _views_declared_in_models()
    for expected in (
        "models.schemas.projects.HandoffView",
        "models.schemas.digest.DigestView",
        "models.schemas.monitoring.MonitorView",
        "models.schemas.dossier.Dossier",
        "models.schemas.integrations.TokenView",
    ):
        assert expected in declared
