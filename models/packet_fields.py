"""Typed packet fields: what each `type` of a policy field accepts.

One check for every way a packet arrives (the Slack form, POST /api/v1/handoffs, MLflow
tags, workflow steps): `problem` says what is wrong with a value in words fit to show beside
the input, or None. The form builder (bot/blocks/handoff.py) picks the Block Kit element by
type and prefills only values this check accepts, as Slack refuses a malformed initial value.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Sequence
from datetime import date
from typing import Literal

from models import rules

FieldType = Literal[
    "text", "multiline", "date", "url", "number", "version", "name@version", "select", "user"
]
FIELD_TYPES: tuple[str, ...] = FieldType.__args__  # type: ignore[attr-defined]
OPTIONS_MAX, OPTION_MAX = 100, 75  # what a Block Kit static_select holds

DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
NUMBER = rules.NUMBER
# 3, 1.4.2, v2.0.1, 2.1.0-rc.1: digits first, as MLflow and semantic versions write them.
VERSION = re.compile(r"v?[0-9]+(?:\.[0-9]+)*(?:[-+][0-9A-Za-z.-]+)?")
NAME_AT_VERSION = re.compile(r"[^@\s]+@[^@\s]+")
SLACK_USER = rules.SLACK_USER


def _date(value: str) -> bool:
    if not DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _url(value: str) -> bool:
    return len(value) <= rules.URL_MAX and bool(rules.URL.fullmatch(value))


def _number(value: str) -> bool:
    return bool(NUMBER.fullmatch(value)) and math.isfinite(float(value))


ACCEPTS: dict[str, tuple[Callable[[str], bool], str]] = {
    "date": (_date, "{label} must be a date, YYYY-MM-DD (like 2026-05-01)"),
    "url": (_url, "{label} must be an http:// or https:// link"),
    "number": (_number, "{label} must be a number, like 0.85"),
    "version": (lambda v: bool(VERSION.fullmatch(v)), "{label} must be a version, like 3 or 1.4.2"),
    "name@version": (
        lambda v: bool(NAME_AT_VERSION.fullmatch(v)),
        "{label} must name its version, like customers@2024-06-01",
    ),
    "user": (lambda v: bool(SLACK_USER.fullmatch(v)), "{label} must be a Slack user"),
}


def problem(kind: str, label: str, options: Sequence[str], value: str) -> str | None:
    """Why `value` (trimmed, not empty) does not fit a field of this type, or None."""
    if kind == "select":
        if value in options:
            return None
        return f"{label} must be one of: {', '.join(options)}"
    accepts, message = ACCEPTS.get(kind, (lambda v: True, ""))
    return None if accepts(value) else message.format(label=label)
