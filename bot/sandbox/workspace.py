"""The emulated Slack workspace, in memory: people, channels, messages, views, triggers.

One lock guards it all; every change bumps `version` and wakes the page's long polls.
What Baton may and may not do (unknown message, spent trigger, stale hash) is decided by
the Web API methods in bot/sandbox/emulator.py; this module only keeps the state.
"""

from __future__ import annotations

import copy
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from bot.sandbox.mrkdwn import Directory

Json = dict[str, Any]
T = TypeVar("T")
TEAM_ID, TEAM_NAME = "TSANDBOX", "Baton sandbox"
BOT_USER, BOT_ID, BOT_NAME = "UBATON", "BBATON", "Baton"
SLACKBOT = "USLACKBOT"
TRIGGER_SECONDS = 3.0  # Slack's limit for opening a modal with a trigger_id


@dataclass(frozen=True)
class Person:
    id: str
    name: str
    handle: str
    title: str


# One person per MLOps role (the seed makes each the lead of their role).
DEMO_PEOPLE = (
    Person("UDANA", "Dana Reyes", "dana", "Data scientist"),
    Person("UARI", "Ari Patel", "ari", "Data analyst"),
    Person("UELI", "Eli Novak", "eli", "Data engineer"),
    Person("UOMAR", "Omar Haddad", "omar", "DevOps engineer"),
    Person("UMEI", "Mei Tanaka", "mei", "ML architect"),
    Person("USAM", "Sam Okafor", "sam", "Software developer"),
    Person("ULENA", "Lena Fischer", "lena", "Domain expert"),
    Person("UGRACE", "Grace Kim", "grace", "Business manager"),
    Person("UJON", "Jon Alvarez", "jon", "Legal / compliance"),
)


@dataclass
class Channel:
    id: str
    name: str
    dm_of: str | None = None  # the person whose direct messages with Baton this holds


@dataclass
class Message:
    channel: str
    ts: str
    text: str
    blocks: list[Json]
    user: str
    visible_to: str | None = None  # an ephemeral message: only this person sees it
    edited: bool = False

    @property
    def from_app(self) -> bool:
        return self.user in (BOT_USER, SLACKBOT)

    def as_slack(self) -> Json:
        """The message as Slack describes it in payloads and API answers."""
        found: Json = {"type": "message", "ts": self.ts, "text": self.text, "user": self.user}
        if self.blocks:
            found["blocks"] = copy.deepcopy(self.blocks)
        if self.user == BOT_USER:
            found["bot_id"] = BOT_ID
        return found


@dataclass
class View:
    id: str
    user: str
    payload: Json
    hash: str
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, Json] = field(default_factory=dict)  # state of the last submission

    @property
    def kind(self) -> str:
        return str(self.payload.get("type", ""))

    def as_slack(self) -> Json:
        return {
            **copy.deepcopy(self.payload),
            "id": self.id,
            "team_id": TEAM_ID,
            "app_id": "ASANDBOX",
            "bot_id": BOT_ID,
            "hash": self.hash,
            "root_view_id": self.id,
            "previous_view_id": None,
            "state": {"values": copy.deepcopy(self.values)},
        }


@dataclass(frozen=True)
class Hook:
    """A response_url: who it answers, where, and the message an action came from."""

    user: str
    channel: str
    message_ts: str | None = None


class Workspace:
    def __init__(self, people: tuple[Person, ...] = DEMO_PEOPLE) -> None:
        self.people = {p.id: p for p in people}
        self.channels: dict[str, Channel] = {}
        self.messages: list[Message] = []
        self.modals: dict[str, list[View]] = {}  # per person, a stack; the last is on top
        self.homes: dict[str, View] = {}
        self.triggers: dict[str, tuple[str, float]] = {}  # id → (person, when issued)
        self.hooks: dict[str, Hook] = {}
        self.read_up_to: dict[tuple[str, str], str] = {}
        self.version = 0
        self._ids = itertools.count(1)
        self._last_ts = 0.0
        self._cond = threading.Condition(threading.RLock())
        self.add_channel("CGENERAL", "general")
        for person in people:
            self.channels[dm_channel(person.id)] = Channel(
                dm_channel(person.id), BOT_NAME, person.id
            )

    def copy(self) -> Workspace:
        """An independent deep copy (channels, messages, views, hooks, the next id and ts) with
        its own lock: what a sandbox left behind, to start another sandbox from."""
        with self._cond:
            state = {k: v for k, v in vars(self).items() if k not in ("_ids", "_cond")}
            clone = object.__new__(Workspace)
            clone.__dict__.update(copy.deepcopy(state))
            next_id = next(self._ids)
            self._ids = itertools.count(next_id)  # unchanged: the peeked id is still the next
            clone._ids = itertools.count(next_id)
            clone._cond = threading.Condition(threading.RLock())
            return clone

    # -- locking and change notification -------------------------------------------------------
    def read(self, fn: Callable[[], T]) -> T:
        with self._cond:
            return fn()

    def change(self, fn: Callable[[], T]) -> T:
        with self._cond:
            result = fn()
            self.version += 1
            self._cond.notify_all()
            return result

    def wait_for_change(self, since: int, timeout: float) -> int:
        """The version once it passes `since`, or the current one after `timeout` seconds."""
        with self._cond:
            self._cond.wait_for(lambda: self.version > since, timeout)
            return self.version

    def wait_until(self, predicate: Callable[[], T], timeout: float) -> T:
        """Block until `predicate()` holds, re-checked on every change; raises TimeoutError."""
        with self._cond:
            result = self._cond.wait_for(predicate, timeout)
        if not result:
            raise TimeoutError(f"not within {timeout}s")
        return result

    # -- ids -----------------------------------------------------------------------------------
    def next_id(self, prefix: str) -> str:
        return f"{prefix}{next(self._ids):08d}"

    def next_ts(self) -> str:
        """Slack's message ids: seconds with microseconds, strictly increasing."""
        with self._cond:
            self._last_ts = max(time.time(), self._last_ts + 0.000001)
            return f"{self._last_ts:.6f}"

    # -- directory -----------------------------------------------------------------------------
    def add_channel(self, channel_id: str, name: str) -> Channel:
        def add() -> Channel:
            return self.channels.setdefault(channel_id, Channel(channel_id, name))

        return self.change(add)

    def directory(self) -> Directory:
        return self.read(
            lambda: Directory(
                users={**{p.id: p.name for p in self.people.values()}, BOT_USER: BOT_NAME},
                channels={c.id: c.name for c in self.channels.values() if c.dm_of is None},
            )
        )

    def person_by_handle(self, handle: str) -> Person | None:
        wanted = handle.lower()
        return next((p for p in self.people.values() if p.handle == wanted), None)

    def channel_by_name(self, name: str) -> Channel | None:
        found = (c for c in self.channels.values() if c.dm_of is None and c.name == name)
        return next(found, None)

    # -- messages ------------------------------------------------------------------------------
    def find_message(self, channel: str, ts: str) -> Message | None:
        found = (m for m in self.messages if m.channel == channel and m.ts == ts)
        return self.read(lambda: next(found, None))

    def visible(self, channel: str, viewer: str) -> list[Message]:
        return self.read(
            lambda: [
                m for m in self.messages if m.channel == channel and m.visible_to in (None, viewer)
            ]
        )

    def unread(self, channel: str, viewer: str) -> int:
        seen = self.read_up_to.get((viewer, channel), "")
        return sum(
            1
            for m in self.visible(channel, viewer)
            if m.user != viewer and float(m.ts) > float(seen or 0)
        )

    def mark_read(self, channel: str, viewer: str) -> None:
        shown = self.visible(channel, viewer)
        if shown:
            with self._cond:  # reading is not a change anyone waits for
                self.read_up_to[(viewer, channel)] = shown[-1].ts

    # -- triggers and response URLs ------------------------------------------------------------
    def issue_trigger(self, user: str) -> str:
        trigger = f"{int(time.time())}.{next(self._ids)}.sandbox"
        self.read(lambda: self.triggers.__setitem__(trigger, (user, time.monotonic())))
        return trigger

    def spend_trigger(self, trigger: str) -> tuple[str | None, str | None]:
        """(person, None) once per fresh trigger; (None, Slack's error) otherwise."""
        with self._cond:
            issued = self.triggers.pop(trigger, None)
        if issued is None:
            return None, "invalid_trigger_id"
        user, when = issued
        if time.monotonic() - when > TRIGGER_SECONDS:
            return None, "expired_trigger_id"
        return user, None

    def add_hook(self, hook: Hook) -> str:
        hook_id = self.next_id("H")
        self.read(lambda: self.hooks.__setitem__(hook_id, hook))
        return hook_id


def dm_channel(user_id: str) -> str:
    """Baton's direct-message conversation with a person (as Slack posts to a user id)."""
    return "D" + user_id.removeprefix("U")
