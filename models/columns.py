"""How much the stored ids hold, so every way in refuses what a column cannot take."""

from __future__ import annotations

SLACK_ID_MAX = 32  # team, user and channel ids are String(32) columns
ROW_ID_MAX = 2**31 - 1  # integer primary keys are 32-bit on PostgreSQL


def fits_row_id(value: int) -> bool:
    """A positive id an Integer column can hold (a bigger one names no row anywhere)."""
    return 0 < value <= ROW_ID_MAX
