"""Logging in text or JSON lines (BATON_LOG_FORMAT). What reaches a log line is bounded and
carries no secret: every secret setting's value, Slack tokens, bearer and API tokens, response
URLs and the legacy verification `token` are redacted, and request bodies are never logged
(bolt logs the whole body of a request whose signature fails, at INFO)."""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.config import Settings

REDACTED = "[redacted]"
VALUE_MAX = 200  # one logged value (a team id, a channel, an error text)
MESSAGE_MAX = 2000  # one whole message, before any traceback
# The settings that hold secrets, by their environment names.
SECRET_SETTINGS = (
    "SLACK_BOT_TOKEN",
    "SLACK_SIGNING_SECRET",
    "SLACK_APP_TOKEN",
    "MLFLOW_WEBHOOK_SECRET",
)

SECRET = re.compile(
    r"xox[a-z]-[A-Za-z0-9-]+"  # Slack bot, user, config and refresh tokens
    r"|xapp-[A-Za-z0-9-]+"  # app-level tokens (Socket Mode)
    r"|baton_[A-Za-z0-9_-]{30,}"  # Baton API tokens
    r"|(?i:bearer)\s+[^\s'\",}]+"
    r"|https?://hooks\.slack(?:-gov)?\.com/[^\s'\",}]+"  # response URLs and webhooks
)
# A form field or dict entry whose value is secret wherever it points: its key is kept.
KEYED = re.compile(r"(?<![A-Za-z_])((?:token|response_url)(?:=|['\"]?\s*:\s*['\"]?))[^&\s'\",}]+")
# bolt's messages that carry a request body, and what is kept of them.
BODY_MESSAGES = (
    (re.compile(r"^(Invalid request signature detected)\b.*", re.S), r"\1 (body not logged)"),
    (re.compile(r"^(.*without providing a response for the request) \(.*\)$", re.S), r"\1"),
)

_secrets: tuple[str, ...] = ()


def redact(text: str) -> str:
    for value in _secrets:
        text = text.replace(value, REDACTED)
    return KEYED.sub(rf"\1{REDACTED}", SECRET.sub(REDACTED, text))


def bound(value: str, limit: int = VALUE_MAX) -> str:
    if len(value) <= limit:
        return value
    return f"{value[:limit]}…[{len(value)} characters]"


class SafeRecords(logging.Filter):
    """Rewrites each record once, before any handler formats it: no body, bounded, redacted."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "_baton_safe", False):
            return True
        if isinstance(record.args, dict):
            record.args = {k: _bounded_arg(v) for k, v in record.args.items()}
        elif record.args:
            record.args = tuple(_bounded_arg(a) for a in record.args)
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed call: keep what it meant to say
            message = f"{record.msg} {record.args!r}"
        for pattern, kept in BODY_MESSAGES:
            message = pattern.sub(kept, message)
        record.msg, record.args = redact(bound(message, MESSAGE_MAX)), None
        record._baton_safe = True
        return True


def _bounded_arg(value: Any) -> Any:
    if isinstance(value, (int, float, bool)) or value is None:
        return value
    return bound(str(value))


class RedactingFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            entry["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(fmt: str | Settings = "text", level: int = logging.INFO) -> None:
    """One handler on the root logger. Given the Settings, their secret values are redacted
    wherever they appear; given only a format, the secrets are read from the environment."""
    global _secrets
    if isinstance(fmt, str):
        _secrets = _nonblank(os.environ.get(name) for name in SECRET_SETTINGS)
    else:
        _secrets = _nonblank(_secret_values(fmt))
        fmt = fmt.baton_log_format
    handler = logging.StreamHandler()
    handler.addFilter(SafeRecords())
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)


def _secret_values(settings: Settings) -> Iterable[str | None]:
    for name in SECRET_SETTINGS:
        value = getattr(settings, name.lower(), None)
        yield value.get_secret_value() if value is not None else None


def _nonblank(values: Iterable[str | None]) -> tuple[str, ...]:
    # Longest first, so a secret containing another is replaced whole.
    return tuple(sorted({v for v in values if v and len(v) >= 4}, key=len, reverse=True))
