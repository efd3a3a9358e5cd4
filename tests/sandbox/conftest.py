"""Fixtures: a whole sandbox (Baton + emulator on a free loopback port, its own SQLite file).

Every test gets its own sandbox: its own server, Baton, deliverer, SQLite file and emulated
Slack. What a test process builds once is the state they start from: the migrated empty
database, and the demo as `baton sandbox --seed demo` leaves it once every queued message has
been delivered (seeding and delivering it took 5-11 s per test). Each test starts a new
sandbox on a copy of that database and a copy of that workspace (Workspace.copy)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, sync_playwright

from bot.sandbox import Sandbox, start_sandbox
from bot.sandbox.workspace import Message, Workspace

CHROMIUM = "/usr/bin/chromium"
# Headless as root on a machine without a network: no sandbox, GPU or background calls home.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    """One Chromium for this package's browser tests (its launch is the slow part, 1.5-4 s);
    every test opens its pages in a context of its own (browser.new_page makes one, closed
    with the page), so none shares cookies, storage or cache with another."""
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@dataclass(frozen=True)
class Template:
    """A stopped sandbox's state: its database file and (for the demo) its emulated Slack."""

    database: Path
    workspace: Workspace | None


def _build(directory: Path, seed: str | None) -> Template:
    database = directory / "sandbox.db"
    sandbox = start_sandbox(port=0, seed=seed, database_url=f"sqlite:///{database}")
    try:
        if seed == "demo":
            _wait_for_history(sandbox.emulator.workspace)
        # Whatever is still queued is delivered here, so the copies hold no row in flight.
        sandbox.baton.deliverer.stop()
        while sandbox.baton.deliverer.deliver_due():
            pass
        assert sandbox.baton.deliverer.seconds_until_next_due() == float("inf")
    finally:
        sandbox.stop()
    return Template(database, sandbox.emulator.workspace if seed else None)


def _start(tmp_path: Path, template: Template) -> Iterator[Sandbox]:
    database = tmp_path / "sandbox.db"
    source, target = sqlite3.connect(template.database), sqlite3.connect(database)
    try:
        source.backup(target)
    finally:
        source.close()
        target.close()
    workspace = template.workspace.copy() if template.workspace else None
    sandbox = start_sandbox(port=0, database_url=f"sqlite:///{database}", workspace=workspace)
    try:
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture(scope="session")
def empty_template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return _build(tmp_path_factory.mktemp("sandbox-empty"), None)


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Template:
    return _build(tmp_path_factory.mktemp("sandbox-demo"), "demo")


@pytest.fixture
def sandbox(tmp_path: Path, empty_template: Template) -> Iterator[Sandbox]:
    """An empty sandbox: the demo people and #general, no projects."""
    yield from _start(tmp_path, empty_template)


@pytest.fixture
def demo(tmp_path: Path, demo_template: Template) -> Iterator[Sandbox]:
    """The sandbox as `baton sandbox --seed demo` starts it, once the last project's history
    (demand-forecast reaching monitor) and everything else it queued has been delivered."""
    yield from _start(tmp_path, demo_template)


def _wait_for_history(ws: Workspace) -> None:
    ws.wait_until(lambda: any(_reached_monitor(m) for m in ws.messages), timeout=20)


def _reached_monitor(message: Message) -> bool:
    return message.channel == "CDEMAND" and message.text == "demand-forecast moved to monitor"
