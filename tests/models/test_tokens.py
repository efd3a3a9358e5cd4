"""API tokens: shown once, stored hashed, refused once revoked, always of one workspace."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from models.audit import AuditEvent
from models.errors import Conflict, DomainError, NotFound
from models.integrations import ApiToken
from models.services import tokens

T = "T_HOME"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _create(db, name: str = "ci", team: str = T) -> str:
    with db.session() as s:
        plaintext, _ = tokens.create_token(s, team, name)
    return plaintext


def test_a_new_token_is_shown_once_and_only_its_hash_is_kept(db):
    with db.session() as s:
        plaintext, view = tokens.create_token(s, T, "ci-pipeline")
    assert plaintext.startswith("baton_") and len(plaintext) == len("baton_") + 43
    assert view.name == "ci-pipeline" and view.prefix == plaintext[:12] and view.active
    with db.session() as s:
        row = s.scalars(select(ApiToken)).one()
    assert row.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    dumped = repr(db.dump())
    assert plaintext not in dumped and plaintext[12:] not in dumped


def test_authenticate_gives_the_team_and_records_the_use(db):
    plaintext = _create(db)
    with db.session() as s:
        assert tokens.authenticate(s, plaintext, NOW) == T
    with db.session() as s:
        (listed,) = tokens.list_tokens(s, T)
    assert listed.last_used_at == NOW


@pytest.mark.parametrize(
    "wrong",
    ["", "baton_", "baton_nope", "Bearer x", "x" * 5000, "baton_" + "a" * 500],
)
def test_unknown_tokens_are_refused(db, wrong):
    _create(db)
    with db.session() as s:
        assert tokens.authenticate(s, wrong, NOW) is None


def test_a_token_differing_in_one_character_is_refused(db):
    plaintext = _create(db)
    flipped = plaintext[:-1] + ("A" if plaintext[-1] != "A" else "B")
    with db.session() as s:
        assert tokens.authenticate(s, flipped, NOW) is None


def test_a_revoked_token_is_refused_and_the_trail_says_who_did_what(db):
    plaintext = _create(db)
    with db.session() as s:
        view = tokens.revoke_token(s, T, "ci")
    assert not view.active
    with db.session() as s:
        assert tokens.authenticate(s, plaintext, NOW) is None
        actions = [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions == ["api_token.created", "api_token.revoked"]


def test_revoking_twice_or_an_unknown_name_is_refused(db):
    _create(db)
    with db.session() as s:
        tokens.revoke_token(s, T, "ci")
    with pytest.raises(Conflict, match="already revoked"), db.session() as s:
        tokens.revoke_token(s, T, "ci")
    with pytest.raises(NotFound, match="No API token named 'nope'"), db.session() as s:
        tokens.revoke_token(s, T, "nope")


def test_names_are_unique_per_workspace_even_after_revocation(db):
    _create(db)
    with pytest.raises(Conflict, match="already exists"), db.session() as s:
        tokens.create_token(s, T, "ci")
    with db.session() as s:
        tokens.revoke_token(s, T, "ci")
    with pytest.raises(Conflict), db.session() as s:
        tokens.create_token(s, T, "ci")
    _create(db, team="T_OTHER")  # another workspace may use the name


@pytest.mark.parametrize("name", ["", "-ci", "has space", "x" * 65, "ci/prod"])
def test_bad_names_are_refused(db, name):
    with pytest.raises(DomainError, match="not a valid token name"), db.session() as s:
        tokens.create_token(s, T, name)


def test_lists_are_per_workspace_and_never_hold_the_token(db):
    mine, theirs = _create(db, "a"), _create(db, "b", team="T_OTHER")
    with db.session() as s:
        listed = tokens.list_tokens(s, T)
        assert tokens.authenticate(s, theirs, NOW) == "T_OTHER"
    assert [t.name for t in listed] == ["a"]
    assert mine not in repr(listed)
