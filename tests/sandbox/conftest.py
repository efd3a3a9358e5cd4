"""Fixtures: a whole sandbox (Baton + emulator on a free loopback port, its own SQLite file)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.sandbox import Sandbox, start_sandbox
from bot.sandbox.workspace import Message, Workspace


def _start(tmp_path: Path, seed: str | None) -> Iterator[Sandbox]:
    sandbox = start_sandbox(port=0, seed=seed, database_url=f"sqlite:///{tmp_path}/sandbox.db")
    try:
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Sandbox]:
    """An empty sandbox: the demo people and #general, no projects."""
    yield from _start(tmp_path, None)


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Sandbox]:
    """The sandbox as `baton sandbox --seed demo` starts it, once the last project's history
    (demand-forecast reaching monitor) has been delivered to its channel."""
    for sandbox in _start(tmp_path, "demo"):
        _wait_for_history(sandbox.emulator.workspace)
        yield sandbox


def _wait_for_history(ws: Workspace) -> None:
    ws.wait_until(lambda: any(_reached_monitor(m) for m in ws.messages), timeout=20)


def _reached_monitor(message: Message) -> bool:
    return message.channel == "CDEMAND" and message.text == "demand-forecast moved to monitor"
