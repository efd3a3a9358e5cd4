"""The text after `/mlops` -> a typed Command, or a UsageError fit to show the user.

No Slack client and no database of its own: the one lookup is `Here.homes`, which the caller
passes to let a key be left out in a project's channel. The steps, each a small function:

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
from dataclasses import dataclass, replace
from functools import cache, cached_property
from typing import Literal, NamedTuple, Never, Protocol, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from handlers import commands_spec, registry
from handlers.commands_spec import *  # noqa: F403  (the command classes, for callers)
from handlers.commands_spec import Command, help_entries, usage_for
from handlers.registry import DEFAULT_COMMAND, Subcommand, by_name
from models import cron, rules
from models.enums import Role, Stage
from models.errors import DomainError

__all__ = ["Command", "UsageError", "help_entries", "parse", "usage_for"]


def __getattr__(name: str) -> object:
    """`parsing.USAGE`, `.HELP`, `.VERBS`: the registry's tables, as commands_spec reads them."""
    return getattr(commands_spec, name)


_T = TypeVar("_T")
QUOTES = frozenset('"“”')
MENTION = re.compile(rf"<@({rules.SLACK_USER_ID})(?:\|[^>]*)?>")
CHANNEL = re.compile(rf"<#({rules.SLACK_CHANNEL_ID})(?:\|[^>]*)?>")
SLACK_LINK = re.compile(r"<(https?://[^|>]+)(?:\|[^>]*)?>")
SOURCE_KINDS = ("prometheus", "json")
NUMBER = rules.NUMBER
HANDOFF_TARGETS = (Stage.MANAGE, Stage.DEVELOP, Stage.DEPLOY, Stage.MONITOR)
DISPLAY_NAME_MAX = 80


# Slack's markup for what the user picked: shown back as they saw it (@dana, #churn-model).
PICKED = re.compile(
    rf"<(@{rules.SLACK_USER_ID}|#{rules.SLACK_CHANNEL_ID})(?:\|([^>]*))?>"
    r"|<(https?://[^|>]+)(?:\|[^>]*)?>"
    r"|<!(here|channel|everyone)(?:\|[^>]*)?>"
    r"|<!subteam\^[A-Z0-9]+(?:\|@?([^>]*))?>"
)


def as_typed(text: str) -> str:
    """`<@U1|dana>` → `@dana`, `<#C1|churn>` → `#churn`, a link → its URL, `<!here>` →
    `@here`, a user group → `@its-handle`: an error quotes what the user saw, never markup."""

    def shown(m: re.Match[str]) -> str:
        link, broadcast, group = m.group(3, 4, 5)
        if link:
            return link
        if m.group(1) is None:
            return "@" + (broadcast or group or "group")
        sigil, label = m.group(1)[0], m.group(2)
        return sigil + label if label else m.group(1)

    return PICKED.sub(shown, text)


class UsageError(Exception):
    """Bad arguments: `reason` says what is wrong, `usage` how to write it; nothing happened."""

    def __init__(self, reason: str, usage: str) -> None:
        self.reason = as_typed(reason)
        super().__init__(self.reason)
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


class Homes(Protocol):
    """What the parser asks of the workspace's project homes (`ProjectHomes` answers it)."""

    @property
    def keys(self) -> frozenset[str]: ...

    def homed_in(self, channel_id: str) -> list[str]: ...

    def has(self, key: str) -> bool: ...


@dataclass(frozen=True)
class Here:
    """Where the command was typed, so a project key may be left out in a project's channel.

    `homes` is called (once) only when a key is read; `chosen` is the key picked from the
    select Baton showed when several projects live in this channel.
    """

    channel_id: str
    homes: Callable[[], Homes]
    chosen: str | None = None
    may_imply: bool = True  # False: read the key as typed (the second reading, see _read)


class ChooseProject(Exception):
    """The key was left out in a channel that is the home of several projects: ask which."""

    def __init__(self, keys: list[str]) -> None:
        super().__init__(", ".join(keys))
        self.keys = keys


def parse(text: str, command: str = DEFAULT_COMMAND, here: Here | None = None) -> Command:
    """The command in `text`; UsageError (usage rendered for `command`) if it is not one.

    ChooseProject when a key is left out where several projects are at home.
    """
    try:
        tokens = tokenize(text)
    except _Invalid as e:
        raise UsageError(str(e), _usage_guess(text, command)) from None
    name, args = _resolve(tokens, command)
    try:
        return _read(by_name()[name], args, text, here)
    except _Invalid as e:
        raise UsageError(str(e), usage_for(name, command)) from None


def _read(cls: type[Subcommand], tokens: list[Token], text: str, here: Here | None) -> Command:
    """The arguments with the key implied by the channel where that reads; where it does not
    (`metric nope auc 0.5` in a project's channel), as typed; the first reason if neither."""
    args = Args(list(tokens), text, here)
    try:
        command = cls.parse(args)
    except _Invalid as first:
        if here is None or not args.implied:
            raise
        try:
            return cls.parse(Args(list(tokens), text, replace(here, may_imply=False)))
        except _Invalid:
            raise first from None
    if args.choices:  # it reads with any of them: ask which
        raise ChooseProject(args.choices)
    return command


def _usage_guess(text: str, command: str) -> str:
    try:
        name, _ = _resolve([Token(w, 0, w) for w in text.split()], command)
    except UsageError as e:
        return e.usage
    return usage_for(name, command)


def _resolve(tokens: list[Token], command: str) -> tuple[str, list[Token]]:
    if not tokens:
        return "help", []
    head, known = tokens[0].value.lower(), registry.usages()
    verb = as_typed(tokens[1].value).lower() if len(tokens) > 1 else None
    if f"{head} {verb}" in known:
        return f"{head} {verb}", tokens[2:]
    if head in known:
        return head, tokens[1:]
    if head in registry.verbs():
        raise _missing_verb(head, verb, command)
    raise _unknown(as_typed(tokens[0].value).lower(), command)  # <#C1|x> lower-cased is no link


def _missing_verb(head: str, verb: str | None, command: str) -> UsageError:
    verbs = registry.verbs()[head]
    usage = "\n".join(usage_for(f"{head} {v}", command) for v in verbs)
    if verb is None:
        return UsageError(f"'{command} {head}' needs one of: {', '.join(verbs)}", usage)
    reason = f"'{head} {verb}' is not a {command} command"
    close = difflib.get_close_matches(verb, verbs, n=1)
    return UsageError(reason + (f"; did you mean '{head} {close[0]}'?" if close else ""), usage)


def _unknown(word: str, command: str) -> UsageError:
    """Did-you-mean, with the usage of the one command meant (help's when it is not clear)."""
    reason = f"'{word}' is not a {command} command"
    known, with_verbs = registry.usages(), registry.verbs()
    guesses = [f"{head} {word}" for head, verbs in with_verbs.items() if word in verbs]
    guesses = guesses or difflib.get_close_matches(word, {n.split()[0] for n in known}, n=1)
    if guesses:
        reason += "; did you mean " + " or ".join(f"'{g}'" for g in guesses) + "?"
    meant = guesses[0] if len(guesses) == 1 else "help"
    if meant in with_verbs and meant not in known:
        return UsageError(
            reason, "\n".join(usage_for(f"{meant} {v}", command) for v in with_verbs[meant])
        )
    return UsageError(reason, usage_for(meant, command))


def _project_key(word: str) -> str:
    return _obeys(rules.project_key, word)


def _user_id(word: str) -> str:
    if match := MENTION.fullmatch(word):
        return match.group(1)
    if word.startswith("@"):
        _fail(f"'{word}' is plain text, not a mention: pick the user from the list Slack shows")
    return _fail(f"'{word}' is not a user: type @ and pick them from the list Slack shows")


def _role(word: str) -> Role:
    if MENTION.fullmatch(word):
        _fail(f"'{word}' is a person, but the role goes here: the role first, then the @user")
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
    return _obeys(rules.metric_name, word)


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


def _unescaped(text: str) -> str:
    """Slack's three HTML escapes undone (`&amp;` last, so `&amp;lt;` stays `&lt;`)."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _display_name(text: str | None) -> str | None:
    if text is None:
        return None
    name = " ".join(_unescaped(text).split())
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
    """A URL as Slack sends it (`<https://x|label>` or `<https://x>` when it linked it), with
    Slack's escapes undone: it sends `?a=1&b=2` as `?a=1&amp;b=2`, inside links and out."""
    if match := SLACK_LINK.fullmatch(word):
        word = match.group(1)
    # The form is checked here; where it may point, by the service.
    return _obeys(rules.source_url, _unescaped(word))


def _source_query(word: str) -> str:
    if not word or len(word) > 2000:
        _fail("the source query must be 1 to 2,000 characters")
    return word


def _poll_seconds(word: str) -> int:
    return _obeys(rules.poll_seconds, word)


def _model_name(rest: str | None) -> str:
    # Free text, taken as typed (MLflow names may hold spaces); only Slack's escapes are undone.
    name = _unescaped(rest or "").strip()
    if not name:
        _fail("missing the MLflow registered model name")
    return _obeys(rules.model_name, name)


def _fail(reason: str) -> Never:
    raise _Invalid(reason)


def _no_home(word: str) -> Never:
    _fail(f"'{word}' is not the home channel of any project: give the project key")


def _obeys(rule: Callable[[str], _T], word: str) -> _T:
    """The value a rule of models/rules.py returns, or its reason as _Invalid."""
    try:
        return rule(word)
    except DomainError as e:
        return _fail(str(e))


class Args:
    """The arguments of one subcommand, read left to right by its class's `parse`.

    Each reader takes the next word and checks it, or raises `_Invalid` with the reason.
    """

    def __init__(self, tokens: list[Token], text: str, here: Here | None = None) -> None:
        self._tokens = tokens
        self._text = text
        self._here = here
        self.implied = False  # the key was left out and taken from the channel
        self.choices: list[str] = []  # several projects live here: one of them is meant

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

    def new_key(self) -> str:
        """The key of a project to be: never implied by the channel."""
        return _project_key(self.take("the project key"))

    def key(self) -> str:
        """An existing project's key, a #channel that is its home, or, left out, the project
        whose home is this channel. A word counts as a key when it names one (or nearly)."""
        word = self._tokens[0].value if self._tokens else None
        if word is not None and (home := CHANNEL.fullmatch(word)):
            self._tokens.pop(0)
            return self._home_of(home.group(1), word)
        if word is not None and word.startswith("#"):
            _no_home(word)  # a #name Slack did not link: no channel it knows, so no home
        here = self._here
        if here is None or not here.may_imply or (word is not None and self._names_a_project(word)):
            return self.new_key()
        homed = [here.chosen] if here.chosen is not None else self._homes.homed_in(here.channel_id)
        if not homed:
            return self.new_key()
        self.implied = True
        if len(homed) > 1:
            self.choices = homed
        return _project_key(homed[0])

    @cached_property
    def _homes(self) -> Homes:
        assert self._here is not None
        return self._here.homes()

    def _names_a_project(self, word: str) -> bool:
        assert self._here is not None
        typed = word.lower().replace("_", "-")
        if self._homes.has(typed):  # the usual case: no need to read (and fuzz) every key,
            return True  # nor this channel's homes (1,000 keys where every project lives)
        if self._here.chosen is None and not self._homes.homed_in(self._here.channel_id):
            return True  # nothing to imply: the word is the key, right or wrong
        return bool(difflib.get_close_matches(typed, self._homes.keys, n=1, cutoff=0.8))

    def _home_of(self, channel_id: str, word: str) -> str:
        if self._here is None:
            _fail(f"'{word}' is a channel: give the project key")
        homed = self._homes.homed_in(channel_id)
        if not homed:
            _no_home(word)
        if len(homed) > 1:
            _fail(f"'{word}' is the home of several projects ({', '.join(homed)}): give the key")
        return homed[0]

    def optional_key(self) -> str | None:
        word = self.take_optional()
        if word is not None and word.startswith(("#", "<#")):
            _no_home(word)
        return _project_key(word) if word is not None else None

    def user(self, what: str = "the user") -> str:
        return _user_id(self.take(what))

    def user_or_none(self, what: str = "@user or none") -> str | None:
        word = self.take(what)
        return None if word.lower() == "none" else _user_id(word)

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
