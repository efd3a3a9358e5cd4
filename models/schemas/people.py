"""People as the services return them: someone's absence, as App Home shows it."""

from __future__ import annotations

from datetime import date

from models.schemas.base import View


class AbsenceView(View):
    """Away until `until` (inclusive); `delegate` signs meanwhile (None: the ML architect lead)."""

    until: date
    delegate: str | None = None
    reason: str | None = None
