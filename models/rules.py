"""The value rules every way in applies: Slack commands (handlers/parsing.py), /api/v1
(handlers/api_schemas.py), MLflow webhooks (handlers/mlflow.py) and the services themselves.

Each rule is a pattern or limit plus one check that returns the value or raises `DomainError`
with the sentence the user reads, so a value refused on one way in is refused on every other
with the same words. The pydantic types below (`ProjectKey`, `MetricName`, ...) run the same
checks, report that sentence as the field's message and publish the pattern in JSON Schema.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from pydantic import AfterValidator, WithJsonSchema

from models.errors import DomainError
from models.sources import SourceRefused, parse_source_url

PROJECT_KEY_PATTERN = r"^[a-z0-9][a-z0-9-]{1,39}$"
METRIC_NAME_PATTERN = r"^[A-Za-z_][A-Za-z0-9_.:-]{0,63}$"
URL_PATTERN = r"^https?://[^\s<>|]+$"
# Slack ids, as Slack writes them (at most 32 characters: their String(32) columns). The one
# definition: text mentions, typed commands, pickers, packet fields and the API all use it.
SLACK_USER_ID = r"[UW][A-Z0-9]{2,31}"  # a user id
SLACK_CHANNEL_ID = r"[CGD][A-Z0-9]{2,31}"  # a channel, private channel or DM id
SLACK_USER_PATTERN = rf"^{SLACK_USER_ID}$"
SLACK_USER = re.compile(SLACK_USER_PATTERN)
SLACK_CHANNEL = re.compile(rf"^{SLACK_CHANNEL_ID}$")
SLACK_TS = re.compile(r"^\d{1,20}\.\d{1,10}$")  # a message's timestamp, its id in a channel
SLACK_ID = re.compile(rf"^(?:{SLACK_USER_ID}|{SLACK_CHANNEL_ID})$")  # a user or a channel
# A decimal number as people type it: 3, -1.5, .5, 2e-3 (finite checks are the caller's).
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
PROJECT_KEY = re.compile(PROJECT_KEY_PATTERN)
METRIC_NAME = re.compile(METRIC_NAME_PATTERN)
URL = re.compile(URL_PATTERN)
POLL_SECONDS_MIN, POLL_SECONDS_MAX = 30, 86400
URL_MAX = 2000
MODEL_NAME_MAX = 200  # MLflow registered model names, as Baton stores them (String(200))


def project_key(key: str) -> str:
    if PROJECT_KEY.fullmatch(key):
        return key
    reason = f"'{key}' is not a valid project key: use 2–40 lower-case letters, digits and '-'"
    fixed = key.lower().replace("_", "-").replace(" ", "-")
    if PROJECT_KEY.fullmatch(fixed):
        reason += f" (did you mean '{fixed}'?)"
    raise DomainError(reason)


def key_from_name(name: str) -> str:
    """The project key a display name suggests: "Churn model v2" → "churn-model-v2"."""
    words = re.findall(r"[a-z0-9]+", name.lower())
    return "-".join(words)[:40].strip("-")


def metric_name(name: str) -> str:
    if METRIC_NAME.fullmatch(name):
        return name
    raise DomainError(
        f"'{name}' is not a valid metric name: start with a letter or '_', then up to 63 "
        "letters, digits, '_', '.', ':' or '-'"
    )


def poll_seconds(value: int | str) -> int:
    """Seconds between two pulls of a monitor's source; typed text or a number."""
    text = str(value)
    if isinstance(value, bool) or not (text.isascii() and text.isdigit()):
        raise DomainError(_poll_reason(text))
    if not POLL_SECONDS_MIN <= int(text) <= POLL_SECONDS_MAX:
        raise DomainError(_poll_reason(text))
    return int(text)


def _poll_reason(text: str) -> str:
    return (
        f"the interval '{text}' must be a whole number of seconds from {POLL_SECONDS_MIN} "
        f"to {POLL_SECONDS_MAX}"
    )


def source_url(url: str) -> str:
    """The form of a metric source URL; where it may point is the operator's (SourcePolicy)."""
    if len(url) > URL_MAX:
        raise DomainError(f"the URL is {len(url):,} characters long; the limit is {URL_MAX:,}")
    if not URL.fullmatch(url):
        raise DomainError(f"'{url}' is not an http:// or https:// URL")
    try:
        parse_source_url(url)
    except SourceRefused as exc:
        raise DomainError(str(exc)) from None
    return url


def model_name(name: str) -> str:
    """An MLflow registered model name, trimmed."""
    name = name.strip()
    if not name:
        raise DomainError("the model name is empty")
    if len(name) > MODEL_NAME_MAX:
        raise DomainError(
            f"the model name is {len(name)} characters long; the limit is {MODEL_NAME_MAX}"
        )
    return name


def _as_field(check: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """The check as a pydantic validator: its refusal becomes the field's message."""

    def validate(value: Any) -> Any:
        try:
            return check(value)
        except DomainError as exc:
            raise ValueError(exc.message) from None

    return validate


def _typed(check: Callable[[str], str], schema: dict[str, Any]) -> Any:
    return Annotated[str, AfterValidator(_as_field(check)), WithJsonSchema(schema)]


# The same rules as pydantic field types, for request bodies and payloads.
ProjectKey = _typed(project_key, {"type": "string", "pattern": PROJECT_KEY_PATTERN})
MetricName = _typed(metric_name, {"type": "string", "pattern": METRIC_NAME_PATTERN})
ModelName = _typed(model_name, {"type": "string", "minLength": 1, "maxLength": MODEL_NAME_MAX})
SourceUrl = _typed(source_url, {"type": "string", "format": "uri", "maxLength": URL_MAX})
PollSeconds = Annotated[
    int,
    AfterValidator(_as_field(poll_seconds)),
    WithJsonSchema({"type": "integer", "minimum": POLL_SECONDS_MIN, "maximum": POLL_SECONDS_MAX}),
]
