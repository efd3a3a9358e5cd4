"""The audit chain's arithmetic: one event's canonical content and its SHA-256 link.

Pure functions, shared by the service that writes events, `baton audit verify` and the
migration that hashed the rows written before the chain existed. The hash covers what an
event says (workspace, project, actor, action, details, time), never its row id, and the
hash of the event before it in the same workspace: changing, removing or inserting a row
breaks the link at that row.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

GENESIS = ""  # the "previous hash" of a workspace's first event


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, floats that are whole numbers as integers (PostgreSQL's JSONB
    and SQLite's JSON text read them back differently otherwise)."""
    return json.dumps(_normal(value), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _normal(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _normal(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_normal(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def canonical_time(at: datetime) -> str:
    if at.tzinfo is None:  # rows read through a plain connection (the migration) are naive UTC
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(
    prev_hash: str | None,
    *,
    team_id: str,
    project_id: int | None,
    project_key: str | None,
    actor: str,
    action: str,
    detail: Any,
    created_at: datetime,
) -> str:
    content = canonical_json(
        {
            "team": team_id,
            "project_id": project_id,
            "project": project_key,
            "actor": actor,
            "action": action,
            "detail": detail if detail is not None else {},
            "at": canonical_time(created_at),
        }
    )
    return hashlib.sha256(f"{prev_hash or GENESIS}\n{content}".encode()).hexdigest()
