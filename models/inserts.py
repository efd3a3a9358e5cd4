"""Insert-or-ignore on both databases: SQLite's and PostgreSQL's INSERT … ON CONFLICT.

SQLAlchemy's generic insert has no ON CONFLICT; each dialect's insert has one with the same
API. Callers pick the dialect here, never with their own `if dialect == ...`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def dialect_insert(bind: Session | Engine, table: Any) -> Any:
    """`insert(table)` of the database behind `bind`, with on_conflict_do_nothing/_do_update."""
    engine = bind.get_bind() if isinstance(bind, Session) else bind
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


def insert_or_ignore(
    bind: Session | Engine,
    table: Any,
    values: dict[str, Any] | list[dict[str, Any]],
    conflict: Sequence[str] | None = None,
) -> Any:
    """INSERT … ON CONFLICT (conflict) DO NOTHING; add `.returning(...)` to learn what landed.

    Read what landed through RETURNING, not rowcount: psycopg reports -1 for a conflicting
    insert, which is truthy."""
    return (
        dialect_insert(bind, table)
        .values(values)
        .on_conflict_do_nothing(index_elements=list(conflict) if conflict else None)
    )
