"""Can the database take a write right now? For /readyz: a process whose writes would fail
(a full disk, a read-only file system or file, a PostgreSQL standby) is not ready.

Neither `BEGIN IMMEDIATE` nor a rolled-back write notices a full disk on SQLite (in WAL mode
the pages never leave the cache), and both would queue behind the process's writers: the file
system is asked instead, which costs no lock.
"""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import Connection, text

# Below this much free space SQLite's next write (journal, WAL, a new page) is likely to fail.
MIN_FREE_BYTES = 1 << 20


def write_problem(conn: Connection) -> str | None:
    """Why a write would fail now, in words for an operator; None when it would not."""
    if conn.dialect.name == "sqlite":
        return sqlite_file_problem(conn.engine.url.database)
    if conn.dialect.name == "postgresql":
        standby, read_only = conn.execute(
            text("SELECT pg_is_in_recovery(), current_setting('transaction_read_only')")
        ).one()
        if standby:
            return "database is a read-only standby"
        if read_only == "on":
            return "database is read-only (default_transaction_read_only)"
    return None


def sqlite_file_problem(database: str | None) -> str | None:
    """The file system's view: read-only, full, or a file we may not write."""
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = Path(database).resolve()
    stats = os.statvfs(path.parent)
    if stats.f_flag & os.ST_RDONLY:
        return "database is on a read-only file system"
    free = stats.f_bavail * stats.f_frsize
    if free < MIN_FREE_BYTES:
        return f"disk holding the database is full ({free // 1024} KiB free)"
    writable = [p for p in (path, path.parent) if p.exists()]
    if not all(os.access(p, os.W_OK) for p in writable):
        return "database file is not writable"
    return None
