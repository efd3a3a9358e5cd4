"""The text after `/mlops` -> a typed Command, or a UsageError fit to show the user.

Pure: no Slack client, no database, no I/O. The steps, each a small function:

1. `tokenize` splits on whitespace, honouring double quotes (straight `"` and the curly
   “ ” that iOS and macOS substitute; any of them closes a quote) and keeping Slack's
   `<...>` escapes whole. Slack's HTML escapes (`&amp;`, `&lt;`, `&gt;`) are left alone
   here, so an escaped `&lt;@U1&gt;` typed by a user can never pass for a mention; only
   free text (a project's display name) is unescaped, after the tokens are read.
2. `_resolve` finds the subcommand: the first word, or the first two for subcommands
   with verbs (`project create`), case-insensitively. `handoff cancel <key>` wins over
   `handoff <key>`, so a project keyed `cancel` cannot be handed off by this command.
3. The subcommand's class reads its arguments (`parse`, see `handlers/registry.py`)
   through `Args`, whose readers raise `_Invalid(reason)`; `parse` turns that into a
   `UsageError` carrying the subcommand's usage line. Parsers never build usage text.

The command classes live in `handlers/subcommands/` and are listed by
`handlers/commands_spec.py`; they are importable from here too, so callers need only
`from handlers import parsing`.
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Callable
from functools import cache
from typing import Literal, NamedTuple, Never
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from handlers.commands_spec import *  # noqa: F403  (the command classes, for callers)
from handlers.commands_spec import (
    HELP,
    USAGE,
    VERBS,
    Command,
    help_entries,
    usage_for,
)
from handlers.registry import DEFAULT_COMMAND, by_name
from models import cron
from models.enums import Role, Stage
from models.errors import DomainError
from models.sources import SourceRefused, parse_source_url

__all__ = ["HELP", "USAGE", "Command", "UsageError", "help_entries", "parse", "usage_for"]

QUOTES = frozenset('"“”')
PROJECT_KEY = re.compile(r"[a-z0-9][a-z0-9-]{1,39}")
METRIC_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.:-]{0,63}")
MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
SLACK_LINK = re.compile(r"<(https?://[^|>]+)(?:\|[^>]*)?>")
SOURCE_KINDS = ("prometheus", "json")
NUMBER = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
HANDOFF_TARGETS = (Stage.MANAGE, Stage.DEVELOP, Stage.DEPLOY, Stage.MONITOR)
DISPLAY_NAME_MAX = 80
MODEL_NAME_MAX = 200  # MLflow registered model names, as Baton stores them


class UsageError(Exception):
    """Bad arguments: `reason` says what is wrong, `usage` how to write it; nothing happened."""

    def __init__(self, reason: str, usage: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.usage = usage


class _Invalid(Exception):
    """A reason without a usage line; `parse` knows which subcommand it concerns."""


class Token(NamedTuple):
    value: str
    start: int  # offset in the text, so free text can be taken verbatim
    raw: str


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    i = 0
    while i < len(text):
        if text[i].isspace():
            i += 1
            continue
        value, end = _read_token(text, i)
        tokens.append(Token(value, i, text[i:end]))
        i = end
    return tokens


def _read_token(text: str, i: int) -> tuple[str, int]:
    parts: list[str] = []
    while i < len(text) and not text[i].isspace():
        if text[i] in QUOTES:
            close = next((j for j in range(i + 1, len(text)) if text[j] in QUOTES), -1)
            if close < 0:
                raise _Invalid(f"the quote before '{text[i + 1 : i + 21]}' is never closed")
            parts.append(text[i + 1 : close])
            i = close + 1
        elif text[i] == "<" and (close := text.find(">", i)) >= 0:
            parts.append(text[i : close + 1])  # Slack escapes like <@U1|bob bob> stay one token
            i = close + 1
        else:
            parts.append(text[i])
            i += 1
    return "".join(parts), i


def parse(text: str, command: str = DEFAULT_COMMAND) -> Command:
    """The command in `text`; UsageError (usage rendered for `command`) if it is not one."""
    try:
        tokens = tokenize(text)
    except _Invalid as e:
        raise UsageError(str(e), _usage_guess(text, command)) from None
    name, args = _resolve(tokens, command)
    try:
        return by_name()[name].parse(Args(args, text))
    except _Invalid as e:
        raise UsageError(str(e), usage_for(name, command)) from None


def _usage_guess(text: str, command: str) -> str:
    try:
        name, _ = _resolve([Token(w, 0, w) for w in text.split()], command)
    except UsageError as e:
        return e.usage
    return usage_for(name, command)


def _resolve(tokens: list[Token], command: str) -> tuple[str, list[Token]]:
    if not tokens:
        return "help", []
    head = tokens[0].value.lower()
    verb = tokens[1].value.lower() if len(tokens) > 1 else None
    if f"{head} {verb}" in USAGE:
        return f"{head} {verb}", tokens[2:]
    if head in USAGE:
        return head, tokens[1:]
    if head in VERBS:
        raise _missing_verb(head, verb, command)
    raise UsageError(_unknown_reason(head, command), usage_for("help", command))


def _missing_verb(head: str, verb: str | None, command: str) -> UsageError:
    verbs = VERBS[head]
    usage = "\n".join(usage_for(f"{head} {v}", command) for v in verbs)
    if verb is None:
        return UsageError(f"'{command} {head}' needs one of: {', '.join(verbs)}", usage)
    reason = f"'{head} {verb}' is not a {command} command"
    close = difflib.get_close_matches(verb, verbs, n=1)
    return UsageError(reason + (f"; did you mean '{head} {close[0]}'?" if close else ""), usage)


def _unknown_reason(word: str, command: str) -> str:
    reason = f"'{word}' is not a {command} command"
    guesses = [f"{head} {word}" for head, verbs in VERBS.items() if word in verbs]
    guesses = guesses or difflib.get_close_matches(word, {n.split()[0] for n in USAGE}, n=1)
    if guesses:
        reason += "; did you mean " + " or ".join(f"'{g}'" for g in guesses) + "?"
    return reason


def _project_key(word: str) -> str:
    if PROJECT_KEY.fullmatch(word):
        return word
    reason = f"'{word}' is not a valid project key: use 2–40 lower-case letters, digits and '-'"
    fixed = word.lower().replace("_", "-").replace(" ", "-")
    if PROJECT_KEY.fullmatch(fixed):
        reason += f" (did you mean '{fixed}'?)"
    return _fail(reason)


def _user_id(word: str) -> str:
    if match := MENTION.fullmatch(word):
        return match.group(1)
    if word.startswith("@"):
        _fail(f"'{word}' is plain text, not a mention: pick the user from the list Slack shows")
    return _fail(f"'{word}' is not a user: type @ and pick them from the list Slack shows")


def _role(word: str) -> Role:
    try:
        return Role.parse("_".join(word.split()))  # "data scientist" typed in quotes
    except ValueError as e:
        return _fail(str(e))


def _handoff_target(word: str) -> Stage:
    if word.lower() in {s.value for s in HANDOFF_TARGETS}:
        return Stage(word.lower())
    choices = ", ".join(s.value for s in HANDOFF_TARGETS)
    return _fail(f"'{word}' is not a stage to hand off to; choose one of: {choices}")


def _metric_name(word: str) -> str:
    if METRIC_NAME.fullmatch(word):
        return word
    return _fail(
        f"'{word}' is not a valid metric name: start with a letter or '_', then up to 63 "
        "letters, digits, '_', '.', ':' or '-'"
    )


def _direction(word: str) -> Literal["min", "max"]:
    low = word.lower()
    if low == "min" or low == "max":
        return low
    return _fail(f"'{word}' is not a direction: use min (alert below) or max (alert above)")


def _number(word: str, what: str) -> float:
    if re.fullmatch(r"[+-]?[0-9]+,[0-9]+", word):
        _fail(f"'{word}' is not a number: write decimals with a dot, e.g. {word.replace(',', '.')}")
    if not NUMBER.fullmatch(word):
        _fail(f"the {what} '{word}' is not a number")
    value = float(word)
    if not math.isfinite(value):
        _fail(f"the {what} '{word}' is too large")
    return value


def _display_name(text: str | None) -> str | None:
    if text is None:
        return None
    unescaped = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    name = " ".join(unescaped.split())
    if len(name) > DISPLAY_NAME_MAX:
        _fail(f"the display name is {len(name)} characters long; the limit is {DISPLAY_NAME_MAX}")
    return name or None


def _timezone(name: str) -> str:
    try:
        ZoneInfo(name)
        return name
    except (ZoneInfoNotFoundError, ValueError, OSError):
        pass
    canonical = {tz.lower(): tz for tz in _timezones()}.get(name.lower())
    if canonical:
        return canonical
    close = difflib.get_close_matches(name, _timezones(), n=1)
    hint = f"; did you mean '{close[0]}'?" if close else ", e.g. Europe/Berlin or UTC"
    return _fail(f"'{name}' is not a time zone: use an IANA name{hint}")


@cache
def _timezones() -> frozenset[str]:
    return frozenset(available_timezones())


def _crontab(expr: str) -> str:
    """The crontab as schedules store it (weekday names; see models/cron.py), or _Invalid."""
    try:
        return cron.normalise(expr)
    except DomainError as e:
        _fail(str(e))


def _url(word: str) -> str:
    """A URL as Slack sends it (`<https://x|label>` or `<https://x>` when it linked it)."""
    if match := SLACK_LINK.fullmatch(word):
        word = match.group(1)
    if len(word) > 2000:
        _fail(f"the URL is {len(word):,} characters long; the limit is 2,000")
    if not re.fullmatch(r"https?://[^\s<>|]+", word):
        _fail(f"'{word}' is not an http:// or https:// URL")
    try:
        parse_source_url(word)  # the form; where it may point is checked by the service
    except SourceRefused as exc:
        _fail(str(exc))
    return word


def _source_query(word: str) -> str:
    if not word or len(word) > 2000:
        _fail("the source query must be 1 to 2,000 characters")
    return word


def _poll_seconds(word: str) -> int:
    if not word.isdigit() or not 30 <= int(word) <= 86400:
        _fail(f"the interval '{word}' must be a whole number of seconds from 30 to 86400")
    return int(word)


def _model_name(rest: str | None) -> str:
    # Free text, taken as typed (MLflow names may hold spaces); only Slack's escapes are undone.
    name = (rest or "").replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&").strip()
    if not name:
        _fail("missing the MLflow registered model name")
    if len(name) > MODEL_NAME_MAX:
        _fail(f"the model name is {len(name)} characters long; the limit is {MODEL_NAME_MAX}")
    return name


def _fail(reason: str) -> Never:
    raise _Invalid(reason)


class Args:
    """The arguments of one subcommand, read left to right by its class's `parse`.

    Each reader takes the next word and checks it, or raises `_Invalid` with the reason.
    """

    def __init__(self, tokens: list[Token], text: str) -> None:
        self._tokens = tokens
        self._text = text

    def take(self, what: str) -> str:
        if not self._tokens:
            raise _Invalid(f"missing {what}")
        return self._tokens.pop(0).value

    def take_optional(self) -> str | None:
        return self._tokens.pop(0).value if self._tokens else None

    def peek(self) -> str | None:
        return self._tokens[0].value if self._tokens else None

    def take_rest(self) -> str | None:
        """Everything left, as the user typed it (one quoted token loses its quotes)."""
        rest, self._tokens = self._tokens, []
        if len(rest) == 1 and rest[0].raw[0] in QUOTES and rest[0].raw[-1] in QUOTES:
            return rest[0].value
        return self._text[rest[0].start :] if rest else None

    def end(self) -> None:
        if self._tokens:
            extra = " ".join(t.raw for t in self._tokens)
            raise _Invalid(f"unexpected extra arguments: {extra}")

    def remaining(self) -> int:
        return len(self._tokens)

    def fail(self, reason: str) -> Never:
        raise _Invalid(reason)

    def key(self) -> str:
        return _project_key(self.take("the project key"))

    def optional_key(self) -> str | None:
        word = self.take_optional()
        return _project_key(word) if word is not None else None

    def user(self, what: str = "the user") -> str:
        return _user_id(self.take(what))

    def role(self, what: str = "the role") -> Role:
        return _role(self.take(what))

    def stage(self, word: str) -> Stage:
        return _handoff_target(word)

    def metric(self) -> str:
        return _metric_name(self.take("the metric name"))

    def direction(self) -> Literal["min", "max"]:
        return _direction(self.take("the direction (min or max)"))

    def number(self, what: str) -> float:
        return _number(self.take(f"the {what}"), what)

    def url(self, what: str) -> str:
        return _url(self.take(what))

    def source_query(self, what: str) -> str:
        return _source_query(self.take(what))

    def poll_seconds(self) -> int:
        return _poll_seconds(self.take("the interval in seconds"))

    def display_name(self) -> str | None:
        return _display_name(self.take_rest())

    def model_name(self) -> str:
        return _model_name(self.take_rest())

    def timezone(self, name: str) -> str:
        return _timezone(name)

    def crontab(self, expr: str) -> str:
        return _crontab(expr)


PARSERS: dict[str, Callable[[Args], Command]] = {c.spec.name: c.parse for c in by_name().values()}
