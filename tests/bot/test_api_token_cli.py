"""`baton api-token create|list|revoke`, on a real database file."""

from __future__ import annotations

import pytest

from bot.db import make_engine, make_session_factory, migrate, session_scope
from models.base import utcnow
from models.services import tokens
from models.workspace import Workspace
from tests.bot.cli import baton


@pytest.fixture
def db_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path}/cli.db"


def _install(db_url: str, *teams: str) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    with session_scope(make_session_factory(engine)) as s:
        for team in teams:
            s.add(Workspace(team_id=team, name=team.lower()))
    engine.dispose()


def _team_of(db_url: str, plaintext: str) -> str | None:
    engine = make_engine(db_url)
    try:
        with session_scope(make_session_factory(engine)) as s:
            return tokens.authenticate(s, plaintext, utcnow())
    finally:
        engine.dispose()


def test_create_prints_the_token_once_with_a_warning(tmp_path, db_url):
    _install(db_url, "THOME")
    result = baton("api-token", "create", "ci", db_url=db_url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    plaintext = result.stdout.strip()
    assert plaintext.startswith("baton_") and "\n" not in plaintext  # scripts can capture it
    assert "shown only this once" in result.stderr
    assert _team_of(db_url, plaintext) == "THOME"
    listed = baton("api-token", "list", db_url=db_url, cwd=tmp_path)
    assert plaintext not in listed.stdout
    header, row = listed.stdout.splitlines()
    assert header.split("\t") == ["name", "prefix", "created_at", "last_used_at", "status"]
    name, prefix, _, used, status = row.split("\t")
    assert (name, prefix, status) == ("ci", plaintext[:12] + "…", "active")
    assert used != "never"  # _team_of used it


def test_revoke_stops_the_token(tmp_path, db_url):
    _install(db_url, "THOME")
    plaintext = baton("api-token", "create", "ci", db_url=db_url, cwd=tmp_path).stdout.strip()
    result = baton("api-token", "revoke", "ci", db_url=db_url, cwd=tmp_path)
    assert result.returncode == 0 and "Revoked API token 'ci'" in result.stdout
    assert _team_of(db_url, plaintext) is None
    assert "\trevoked " in baton("api-token", "list", db_url=db_url, cwd=tmp_path).stdout
    again = baton("api-token", "revoke", "ci", db_url=db_url, cwd=tmp_path)
    assert again.returncode == 1 and "already revoked" in again.stderr
    unknown = baton("api-token", "revoke", "nope", db_url=db_url, cwd=tmp_path)
    assert unknown.returncode == 1 and "No API token named 'nope'" in unknown.stderr


def test_the_workspace_must_be_known_and_unambiguous(tmp_path, db_url):
    _install(db_url)
    none = baton("api-token", "create", "ci", db_url=db_url, cwd=tmp_path)
    assert none.returncode == 1 and "no workspace is installed yet" in none.stderr
    _install(db_url, "TONE", "TTWO")
    several = baton("api-token", "create", "ci", db_url=db_url, cwd=tmp_path)
    assert several.returncode == 1
    assert "several workspaces are installed (TONE, TTWO): choose one with --team" in several.stderr
    stranger = baton("api-token", "create", "ci", "--team", "TELSE", db_url=db_url, cwd=tmp_path)
    assert stranger.returncode == 1 and "workspace TELSE is not installed" in stranger.stderr
    chosen = baton("api-token", "create", "ci", "--team", "TTWO", db_url=db_url, cwd=tmp_path)
    assert chosen.returncode == 0 and _team_of(db_url, chosen.stdout.strip()) == "TTWO"
    assert baton("api-token", "list", "--team", "TONE", db_url=db_url, cwd=tmp_path).stdout == (
        "no API tokens\n"
    )


def test_a_bad_or_taken_name_is_refused(tmp_path, db_url):
    _install(db_url, "THOME")
    bad = baton("api-token", "create", "has space", db_url=db_url, cwd=tmp_path)
    assert bad.returncode == 1 and "not a valid token name" in bad.stderr and not bad.stdout
    assert baton("api-token", "create", "ci", db_url=db_url, cwd=tmp_path).returncode == 0
    taken = baton("api-token", "create", "ci", db_url=db_url, cwd=tmp_path)
    assert taken.returncode == 1 and "already exists" in taken.stderr and not taken.stdout


def test_every_api_token_command_has_help(tmp_path, db_url):
    for args in (
        ["api-token"],
        ["api-token", "create"],
        ["api-token", "list"],
        ["api-token", "revoke"],
    ):
        result = baton(*args, "--help", db_url=db_url, cwd=tmp_path)
        assert result.returncode == 0 and "Usage:" in result.stdout
