"""The one wrapper every Slack listener runs in: what may go wrong, and what the user is told.

A listener is a function of an `Incoming` request. Whatever it raises, the wrapper answers:
a `DomainError` is audited as `refused.<object>.<verb>` and told to the user, a database outage
becomes "try again", a modal Slack would not open becomes a message, a field Baton cannot read
becomes "could not read", and anything else is logged and the user hears something went wrong.
Nothing escapes to bolt: an exception after `ack()` would make bolt drop the acknowledgement.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from slack_bolt import Ack, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks.replies import error_reply
from bot.runtime import Runtime
from handlers.context import (
    TRY_AGAIN,
    Unavailable,
    audit_refusal,
    database_errors,
    tell_user,
    user_and_team,
)
from handlers.envelope import COULD_NOT_READ, Unreadable
from models.columns import fits_row_id
from models.errors import DomainError, NotFound
from models.schemas.base import Actor

log = logging.getLogger(__name__)

SOMETHING_WRONG = "Something went wrong in Baton, so nothing was done. The cause is in its log."


class Kind(Enum):
    COMMAND = "command"
    ACTION = "action"
    VIEW = "view"
    EVENT = "event"


class ViewNotOpened(Exception):
    """Slack did not open a modal (expired trigger, or too slow); the message says what to do."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Incoming:
    """One request as a listener sees it, with the ways of answering it."""

    rt: Runtime
    kind: Kind
    body: dict[str, Any]
    client: WebClient
    respond: Respond | None
    raw_ack: Ack
    refusal: str  # the audit name of a refusal: object.verb
    detail: dict[str, Any] = field(default_factory=dict)  # what the refusal's audit records
    error_block: str = "reason"  # where a modal shows an error
    acked: bool = False

    @property
    def actor(self) -> Actor:
        user, team = user_and_team(self.body)
        return self.rt.actor(team, user)

    def ack(self, **answer: Any) -> None:
        if not self.acked:
            self.acked = True
            self.raw_ack(**answer)

    def tell(self, text: str) -> None:
        """Answer with `text` the way this kind of request can; never raises."""
        try:
            self._tell(text)
        except Exception as exc:  # a bad response_url, Slack down: the outcome stands
            log.warning("could not tell the user (%s): %s", self.refusal, type(exc).__name__)

    def _tell(self, text: str) -> None:
        if self.kind is Kind.COMMAND:
            if not self.acked:
                self.ack(response_type="ephemeral", **error_reply(text))
            elif self.respond is not None:
                self.respond(response_type="ephemeral", **error_reply(text))
        elif self.kind is Kind.VIEW:
            if not self.acked:
                self.ack(response_action="errors", errors={self.error_block: text})
        elif self.kind is Kind.ACTION:
            self.ack()
            tell_user(self.client, self.body, self._respond, text)

    def _respond(self, **kw: Any) -> Any:
        return self.respond(**kw) if self.respond is not None else None

    def open_view(self, view: dict[str, Any], failed: str) -> None:
        """views.open with this request's trigger; `failed` is what the user reads if not."""
        try:
            self.client.views_open(trigger_id=self.body["trigger_id"], view=view)
        except (SlackApiError, OSError, KeyError) as exc:  # expired, missing, or Slack too slow
            detail = (
                exc.response.get("error") if isinstance(exc, SlackApiError) else type(exc).__name__
            )
            log.warning("views.open failed: %s", str(detail)[:80])
            raise ViewNotOpened(failed) from exc

    def button_value(self) -> str:
        """The clicked button's value ('' when there is none): it carries only ids."""
        actions = self.body.get("actions")
        first = actions[0] if isinstance(actions, list) and actions else None
        value = first.get("value") if isinstance(first, dict) else None
        return value if isinstance(value, str) else ""

    def button_id(self, what: str) -> int:
        """The row id the clicked button names; a tampered value is refused like a missing row."""
        return row_id(self.button_value(), f"That button does not point at {what}.")


def row_id(value: Any, refusal: str) -> int:
    """A positive integer id that fits the column, from text or a number, or NotFound."""
    text = str(value) if isinstance(value, int) and not isinstance(value, bool) else value
    if not isinstance(text, str) or not (text.isascii() and text.isdigit()) or len(text) > 10:
        raise NotFound(refusal)
    if not fits_row_id(int(text)):
        raise NotFound(refusal)
    return int(text)


Listener = Callable[[Incoming], None]


def listener(rt: Runtime, kind: Kind, refusal: str) -> Callable[[Listener], Callable[..., None]]:
    """Wrap `fn(req)` as a bolt listener; `refusal` names its refusals (req.refusal may refine)."""

    def wrap(fn: Listener) -> Callable[..., None]:
        @functools.wraps(fn)
        def run(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
            req = Incoming(rt, kind, body, client, respond, ack, refusal)
            req.acked = kind is Kind.EVENT  # bolt acknowledges events itself
            try:
                with database_errors():
                    fn(req)
            except DomainError as exc:
                audit_refusal(rt, req.actor, req.refusal, exc, **req.detail)
                req.tell(exc.message)
            except Unavailable:
                req.tell(TRY_AGAIN)
            except ViewNotOpened as exc:
                req.tell(exc.message)
            except Unreadable as exc:
                log.warning("%s: could not read the request: %s", req.refusal, exc.reason)
                req.tell(COULD_NOT_READ)
            except Exception:
                log.exception("%s failed", req.refusal)
                req.tell(SOMETHING_WRONG)
            finally:
                req.ack()  # never leave Slack waiting, whatever happened

        del run.__wrapped__  # bolt reads the wrapper's own arguments, not fn's
        return run

    return wrap
