"""What a refused request was about, read from the ids its audit details carry.

A refused click names its hand-off or alert (the button value), a refused command or modal
its project key. The service that records a refusal (models/services/audit.py) reads them
here; migration 0010 keeps a frozen copy of this reading, so changing it here never changes
what a fresh upgrade links.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from models.columns import fits_row_id

KEY_MAX = 40  # projects.key is String(40)


@dataclass(frozen=True)
class Subject:
    handoff_id: int | None = None
    alert_id: int | None = None
    project_key: str | None = None


def subject_of(detail: Mapping[str, Any] | None, project_key: str | None = None) -> Subject:
    """The hand-off, alert and project key a refusal names; values no row could have are None."""
    detail = detail or {}
    key = project_key or detail.get("project_key")
    return Subject(
        handoff_id=_row_id(detail.get("handoff", detail.get("handoff_id"))),
        alert_id=_row_id(detail.get("alert")),
        project_key=key if _could_be_key(key) else None,
    )


def _row_id(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    text = str(value) if isinstance(value, int | str) else ""
    if not (text.isascii() and text.isdigit()) or len(text) > 10:
        return None
    return int(text) if fits_row_id(int(text)) else None


def _could_be_key(value: Any) -> bool:
    """A lookup is safe with it: text the column can hold (PostgreSQL refuses a NUL)."""
    return isinstance(value, str) and 0 < len(value) <= KEY_MAX and "\x00" not in value
