"""Column type helpers: enums stored as their string values, portable on every backend."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum


def str_enum(enum: type[StrEnum], length: int = 32) -> Enum:
    """A VARCHAR holding the enum's value; no native PG enum, so new members need no DDL."""
    return Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=length,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )
