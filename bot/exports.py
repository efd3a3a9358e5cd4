"""Audit exports as files: one rendering shared by `baton audit export` and the HTTP API."""

from __future__ import annotations

import csv
import io
import json

from models.schemas.projects import AuditEntry

AUDIT_COLUMNS = ["id", "created_at", "project_key", "actor", "action", "detail"]
AUDIT_FORMATS = ("json", "csv")
MEDIA_TYPES = {"json": "application/json", "csv": "text/csv; charset=utf-8"}


def render_audit(entries: list[AuditEntry], fmt: str) -> str:
    """CSV or JSON of audit entries, oldest first as given; detail stays JSON inside the CSV."""
    if fmt == "json":
        return json.dumps([e.model_dump(mode="json") for e in entries], indent=2) + "\n"
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(AUDIT_COLUMNS)
    for e in entries:
        row = e.model_dump(mode="json")
        writer.writerow(
            [*(row[c] for c in AUDIT_COLUMNS[:-1]), json.dumps(row["detail"], sort_keys=True)]
        )
    return out.getvalue()
