"""The audit trail as people read it: `/mlops history` and the audit export (CSV or JSON, from
the HTTP API). Names are read from the cache (slack_users); the export looks the missing ones
up in Slack first (bot/names.py), `/mlops history` only after it has answered."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable
from contextlib import AbstractContextManager

from slack_sdk import WebClient
from sqlalchemy.orm import Session

from bot.names import fill_names
from models.schemas.projects import AuditEntry
from models.services import people, trail
from models.services.common import get_project

# The same columns as the dossier's CSV (bot/dossier_render.py): structured, then readable.
AUDIT_COLUMNS = [
    "id",
    "created_at",
    "project_key",
    "actor",
    "actor_name",
    "action",
    "sentence",
    "detail",
    "hash",
]
AUDIT_FORMATS = ("json", "csv")
MEDIA_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8"}

Sessions = Callable[[], AbstractContextManager[Session]]


def history_entries(s: Session, team_id: str, key: str, limit: int) -> list[AuditEntry]:
    """The newest `limit` events of a project, newest first, as sentences with the names
    already cached (no Slack call: a slash command answers at once). Raises NotFound."""
    return trail.history(s, get_project(s, team_id, key), limit)


def history_unnamed(s: Session, team_id: str, key: str, limit: int) -> bool:
    """Whether someone in the newest `limit` events has no cached name. Raises NotFound."""
    ids = trail.people_in(trail.events(s, get_project(s, team_id, key), newest=limit))
    return bool(people.unknown(s, team_id, ids))


def name_history_people(
    session: Sessions, client: WebClient | None, team_id: str, key: str, limit: int
) -> bool:
    """Look up in Slack the people of those events with no cached name, one users.info each
    (bot/names.py caps them); True when a name was found. Run after the answer went out."""
    if client is None:
        return False
    with session() as s:
        ids = trail.people_in(trail.events(s, get_project(s, team_id, key), newest=limit))
    return fill_names(client, session, team_id, ids) > 0


def audit_file(
    session: Sessions, client: WebClient | None, team_id: str, key: str, fmt: str
) -> str:
    """The whole trail of a project, oldest first, in `fmt`. Raises NotFound."""
    if client is not None:
        with session() as s:
            ids = trail.people_in(trail.events(s, get_project(s, team_id, key)))
        fill_names(client, session, team_id, ids)
    with session() as s:
        return render_audit(trail.export(s, get_project(s, team_id, key)), fmt)


def render_audit(entries: list[AuditEntry], fmt: str) -> str:
    """CSV or JSON of audit entries, oldest first as given; detail stays JSON inside the CSV."""
    if fmt == "json":
        rows = [e.model_dump(mode="json") for e in entries]
        return json.dumps(rows, indent=2, ensure_ascii=False) + "\n"
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(AUDIT_COLUMNS)
    for e in entries:
        row = e.model_dump(mode="json")
        row["created_at"] = e.created_at.isoformat()  # as the dossier's CSV writes it
        row["detail"] = json.dumps(row["detail"], sort_keys=True, ensure_ascii=False)
        writer.writerow([row[c] for c in AUDIT_COLUMNS])
    return out.getvalue()
