"""What a Slack request must look like before any listener reads it.

Slack itself always sends these shapes; anything else is a bug or a replay. `read_body` turns the
raw bytes (already verified as Slack's) into the dict bolt will see, and `problem_of` says what
is wrong with its shape, so every listener may index the fields it relies on. Ids and texts are
held to the columns that store them (`models.columns`): a 40-character user id or a NUL is
refused here, not by PostgreSQL.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal
from urllib.parse import parse_qs

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    field_validator,
)

from models.columns import SLACK_ID_MAX

COULD_NOT_READ = "Baton could not read that request, so nothing was done."
# Slack's own payloads nest a dozen levels at most (blocks in a view in a payload).
MAX_DEPTH = 64

MENTIONED = re.compile(r"<[@#]([^|>]*)")
SlackId = Annotated[
    str, StringConstraints(min_length=1, max_length=SLACK_ID_MAX, pattern=r"^[A-Za-z0-9._-]+$")
]


class Unreadable(ValueError):
    """The body is not a Slack request Baton can read; `reason` is for the log only."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Shape(BaseModel):
    model_config = ConfigDict(extra="allow")


class Person(Shape):
    id: SlackId


class Command(Shape):
    team_id: SlackId
    user_id: SlackId
    channel_id: SlackId
    command: str
    text: str = ""
    trigger_id: str | None = None

    @field_validator("text")
    @classmethod
    def _mentions_fit(cls, text: str) -> str:
        # Slack writes a picked person or channel as <@U…> / <#C…>; none is longer than a column.
        if any(len(m) > SLACK_ID_MAX for m in MENTIONED.findall(text)):
            raise ValueError("a mention names an id longer than Slack's")
        return text


class Interaction(Shape):
    """Any other payload (shortcuts, view_closed, ...): who sent it, when it says."""

    type: str
    user: Person | None = None
    team: Person | None = None
    # Bolt's own middleware reads these wherever they appear (the bot id of an event, ...).
    event: dict[str, Any] | None = None
    view: dict[str, Any] | None = None
    actions: list[dict[str, Any]] | None = None
    container: dict[str, Any] | None = None
    message: dict[str, Any] | None = None
    channel: dict[str, Any] | None = None
    enterprise: dict[str, Any] | None = None


class Shortcut(Interaction):
    type: Literal["shortcut"]
    user: Person
    team: Person
    trigger_id: str = Field(min_length=1, max_length=255)


class Action(Shape):
    action_id: str = Field(min_length=1, max_length=255)
    value: str | None = Field(default=None, max_length=2000)


class BlockActions(Interaction):
    type: Literal["block_actions"]
    user: Person
    team: Person
    actions: list[Action] = Field(min_length=1)  # type: ignore[assignment]
    trigger_id: str | None = None


class TypedInput(Shape):
    value: str | None = None


class ViewState(Shape):
    values: dict[str, dict[str, TypedInput]] = {}


class View(Shape):
    type: str  # bolt reads it to tell a workflow step from a modal
    callback_id: str = ""
    private_metadata: str = ""
    state: ViewState = ViewState()


class ViewSubmission(Interaction):
    type: Literal["view_submission"]
    user: Person
    team: Person
    view: View  # type: ignore[assignment]


class Event(Shape):
    type: str


class HomeOpened(Event):
    user: SlackId
    tab: str = "home"


class EventCallback(Interaction):
    type: Literal["event_callback"]
    team_id: SlackId
    event_id: str = Field(min_length=1, max_length=64)
    event: Event  # type: ignore[assignment]


class Challenge(Shape):
    type: Literal["url_verification"]
    challenge: str = Field(max_length=200)


SHAPES: dict[str, type[Shape]] = {
    "block_actions": BlockActions,
    "view_submission": ViewSubmission,
    "shortcut": Shortcut,
    "event_callback": EventCallback,
    "url_verification": Challenge,
}
EVENT_SHAPES: dict[str, type[Shape]] = {"app_home_opened": HomeOpened}


def read_body(raw: bytes, content_type: str | None) -> dict[str, Any]:
    """The request as bolt will parse it: a JSON object, or a form (with `payload` unpacked)."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise Unreadable("the body is not UTF-8") from None
    if (content_type or "").startswith("application/json"):
        return _object(text)
    form = {k: v[0] for k, v in parse_qs(text, keep_blank_values=True).items()}
    if "payload" in form:
        return _object(form["payload"])
    return form


def read_object(text: str) -> dict[str, Any]:
    """A JSON object with no NUL in it and a sane depth (a modal's metadata, a payload)."""
    data = _object(text)
    if problem := _walk(data, 0):
        raise Unreadable(problem)
    return data


def _object(text: str) -> dict[str, Any]:
    try:
        data = json.loads(text)
    except RecursionError:
        raise Unreadable("JSON nested too deeply") from None
    except ValueError:
        raise Unreadable("not JSON") from None
    if not isinstance(data, dict):
        raise Unreadable(f"a JSON {type(data).__name__}, not an object")
    return data


def problem_of(body: dict[str, Any]) -> str | None:
    """What is wrong with this request's shape (for the log), or None if listeners can read it."""
    if problem := _walk(body, 0):
        return problem
    if body.get("ssl_check"):
        return None
    try:
        if "command" in body:
            Command.model_validate(body)
            return None
        kind = body.get("type")
        if not isinstance(kind, str):
            return "no request type"
        SHAPES.get(kind, Interaction).model_validate(body)
        if kind == "event_callback":
            event = body["event"]
            EVENT_SHAPES.get(event["type"], Event).model_validate(event)
    except ValidationError as exc:
        first = exc.errors()[0]
        return f"{'.'.join(map(str, first['loc'])) or 'body'}: {first['msg']}"[:200]
    return None


def _walk(node: Any, depth: int) -> str | None:
    """NUL reaches no column (PostgreSQL refuses it in text) and nothing nests without end."""
    if depth > MAX_DEPTH:
        return "nested too deeply"
    if isinstance(node, str):
        return "a NUL character" if "\x00" in node else None
    if isinstance(node, dict):
        items = [*node.keys(), *node.values()]
    elif isinstance(node, list):
        items = node
    else:
        return None
    for item in items:
        if problem := _walk(item, depth + 1):
            return problem
    return None


def is_command(body: dict[str, Any]) -> bool:
    return "command" in body and "type" not in body
