"""API tokens for pipelines: created once in plain text, kept only as a SHA-256 hash."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.base import utcnow
from models.errors import Conflict, DomainError, NotFound
from models.integrations import ApiToken
from models.schemas.base import Actor
from models.schemas.integrations import TokenView
from models.services import audit

TOKEN_PREFIX = "baton_"
# "baton_" and six random characters: enough to tell tokens apart in a list, far too few to guess.
SHOWN_PREFIX_LENGTH = 12
# token_urlsafe(32) is 43 characters; anything much longer is not one of ours (and is not hashed).
TOKEN_MAX_LENGTH = 100
TOKEN_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def hash_token(plaintext: str) -> str:
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def create_token(s: Session, team_id: str, name: str, *, by: str = "cli") -> tuple[str, TokenView]:
    """A new token: its plain text (to show once, never stored) and what the list shows of it."""
    if not TOKEN_NAME.match(name):
        raise DomainError(
            f"'{name}' is not a valid token name: use up to 64 letters, digits, '_', '.' and '-'."
        )
    plaintext = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        team_id=team_id,
        name=name,
        token_hash=hash_token(plaintext),
        prefix=plaintext[:SHOWN_PREFIX_LENGTH],
        created_at=utcnow(),
    )
    try:
        with s.begin_nested():
            s.add(token)
    except IntegrityError:  # names stay taken after revocation, so the trail stays unambiguous
        raise Conflict(
            f"An API token named '{name}' already exists; choose another name."
        ) from None
    audit.record(s, Actor(team_id, by), "api_token.created", name=name, prefix=token.prefix)
    return plaintext, _view(token)


def list_tokens(s: Session, team_id: str) -> list[TokenView]:
    rows = s.scalars(
        select(ApiToken).where(ApiToken.team_id == team_id).order_by(ApiToken.name, ApiToken.id)
    )
    return [_view(t) for t in rows]


def revoke_token(s: Session, team_id: str, name: str, *, by: str = "cli") -> TokenView:
    token = s.scalars(
        select(ApiToken).where(ApiToken.team_id == team_id, ApiToken.name == name).with_for_update()
    ).one_or_none()
    if token is None:
        raise NotFound(f"No API token named '{name}' in workspace {team_id}.")
    if token.revoked_at is not None:
        raise Conflict(f"The API token '{name}' was already revoked.")
    token.revoked_at = utcnow()
    audit.record(s, Actor(team_id, by), "api_token.revoked", name=name, prefix=token.prefix)
    return _view(token)


def authenticate(s: Session, plaintext: str, now: datetime) -> str | None:
    """The team a live token belongs to, or None; never says why a token was refused."""
    if not plaintext.startswith(TOKEN_PREFIX) or len(plaintext) > TOKEN_MAX_LENGTH:
        return None
    digest = hash_token(plaintext)
    # Looking up by hash means no comparison ever runs over the secret itself; compare_digest
    # guards against a backend whose equality is not exact (collations, padding).
    token = s.scalars(select(ApiToken).where(ApiToken.token_hash == digest)).one_or_none()
    if token is None or not hmac.compare_digest(token.token_hash, digest):
        return None
    if token.revoked_at is not None:
        return None
    token.last_used_at = now
    return token.team_id


def _view(t: ApiToken) -> TokenView:
    return TokenView(
        name=t.name,
        prefix=t.prefix,
        created_at=t.created_at,
        last_used_at=t.last_used_at,
        revoked_at=t.revoked_at,
    )
