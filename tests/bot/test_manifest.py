"""The Slack app manifest: every list without repeats, and `baton manifest` prints the checked-in
file with only the URL (and, with --socket-mode, the Socket Mode switch) changed."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from bot.cli import MANIFEST
from tests.bot.cli import baton

ROOT = Path(__file__).resolve().parents[2]


def lists_in(node: Any, path: str = "") -> list[tuple[str, list[Any]]]:
    if isinstance(node, dict):
        return [found for k, v in node.items() for found in lists_in(v, f"{path}.{k}")]
    if isinstance(node, list):
        return [(path, node), *(f for i, v in enumerate(node) for f in lists_in(v, f"{path}.{i}"))]
    return []


def test_every_list_in_the_manifest_is_without_repeats():
    manifest = yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))
    scopes = manifest["oauth_config"]["scopes"]["bot"]
    assert "channels:join" in scopes and "commands" in scopes
    for path, items in lists_in(manifest):
        repeated = sorted({repr(i) for i in items if items.count(i) > 1})
        assert not repeated, f"{path} repeats {', '.join(repeated)}"


def test_the_root_manifest_is_the_package_one():
    assert (ROOT / "manifest.yml").read_text() == MANIFEST.read_text()


def test_baton_manifest_changes_only_the_url(tmp_path):
    checked_in = MANIFEST.read_text(encoding="utf-8")
    out = baton("manifest", "--url", "https://baton.acme.io/", db_url=None, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert out.stdout.count("https://baton.acme.io/slack/events") == 3
    assert out.stdout.replace("https://baton.acme.io", "https://YOUR-HOST") == checked_in


def test_socket_mode_flips_only_its_switch(tmp_path):
    plain = baton("manifest", "--url", "http://localhost:3000", db_url=None, cwd=tmp_path)
    socket = baton(
        "manifest", "--url", "http://localhost:3000", "--socket-mode", db_url=None, cwd=tmp_path
    )
    assert socket.returncode == 0, socket.stderr
    changed = [
        (a, b)
        for a, b in zip(plain.stdout.splitlines(), socket.stdout.splitlines(), strict=True)
        if a != b
    ]
    assert changed == [("  socket_mode_enabled: false", "  socket_mode_enabled: true")]


def test_only_https_urls_are_accepted(tmp_path):
    out = baton("manifest", "--url", "http://baton.acme.io", db_url=None, cwd=tmp_path)
    assert out.returncode == 2
    assert "Error: Invalid value for --url: Slack only calls https:// URLs" in out.stderr
    assert out.stdout == ""
