"""What the channel reads about MLflow's production alias: set after sign-off, failing to be
set, or set by someone without sign-off."""

from __future__ import annotations

from typing import Any

from bot.blocks.kit import message as kit_message
from bot.blocks.kit import section
from bot.blocks.text import escape


def _version(model: str, version: str) -> str:
    return f"*{escape(model)}* version `{escape(version)}`"


def alias_set_message(
    key: str, model: str, version: str, alias: str, handoff_id: int
) -> dict[str, Any]:
    text = (
        f":white_check_mark: MLflow: {_version(model, version)} is now `{escape(alias)}`, "
        f"signed off in hand-off #{handoff_id} of *{escape(key)}* (tagged on the version)."
    )
    return kit_message(f"{model} version {version} is now {alias}", [section(text)])


def alias_failed_message(
    key: str, model: str, version: str, alias: str, error: str, final: bool
) -> dict[str, Any]:
    then = (
        "Baton gave up: fix the cause, then `baton outbox retry` the row or set the alias in MLflow."
        if final
        else "Baton keeps trying and will say here when it is set."
    )
    text = (
        f":warning: MLflow: Baton could not set `{escape(alias)}` on {_version(model, version)} "
        f"for *{escape(key)}*, although it is signed off: {escape(error)}. {then}"
    )
    return kit_message(f"Could not set {alias} on {model} version {version}", [section(text)])


def alias_unsigned_message(key: str, model: str, version: str, alias: str) -> dict[str, Any]:
    text = (
        f":rotating_light: MLflow: `{escape(alias)}` was set on {_version(model, version)} "
        f"*without sign-off*: *{escape(key)}* has no approved hand-off for that version. "
        "Serving code loading this alias now uses it. The change is in the audit trail."
    )
    return kit_message(
        f"{alias} set without sign-off on {model} version {version}", [section(text)]
    )
