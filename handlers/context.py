"""What every listener needs from a request, and the shared ways of answering a refusal."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import OperationalError, SQLAlchemyError

from bot.blocks.replies import error_reply, notice_view
from bot.runtime import Runtime
from models.errors import DomainError, PermissionDenied
from models.schemas.base import Actor
from models.services import audit

log = logging.getLogger(__name__)

TRY_AGAIN = (
    "Baton cannot reach its database right now. Nothing was changed; please try again in a minute."
)


class Unavailable(Exception):
    """The database is down: the user gets 'try again', the log gets the cause."""


@contextmanager
def database_errors() -> Iterator[None]:
    try:
        yield
    except OperationalError as exc:
        log.error("database unavailable: %s", exc.orig)
        raise Unavailable from exc


def audit_refusal(rt: Runtime, actor: Actor, action: str, exc: DomainError, **detail: Any) -> None:
    """Permission refusals are audited in a transaction of their own (the refused one rolled back)."""
    if not isinstance(exc, PermissionDenied):
        return
    try:
        with rt.session() as s:
            audit.record_refusal(s, actor, action, exc.message, **detail)
    except SQLAlchemyError:
        log.exception("could not audit a refusal")


def tell_user(
    client: WebClient, body: dict[str, Any], respond: Callable[..., Any], text: str
) -> None:
    """An ephemeral answer where the click happened; on screen in a small modal from App Home
    (a direct message only if Slack will not open one: its trigger already used or expired)."""
    payload = error_reply(text)
    try:
        if body.get("response_url"):
            respond(response_type="ephemeral", replace_original=False, **payload)
            return
        if _from_home(body) and _notice_opened(client, body, payload):
            return
        client.chat_postMessage(channel=body["user"]["id"], **payload)
    except SlackApiError as exc:
        log.warning("could not tell the user: %s", exc.response.get("error"))


def _from_home(body: dict[str, Any]) -> bool:
    view = body.get("view")
    return isinstance(view, dict) and view.get("type") == "home" and bool(body.get("trigger_id"))


def _notice_opened(client: WebClient, body: dict[str, Any], payload: dict[str, Any]) -> bool:
    try:
        client.views_open(trigger_id=body["trigger_id"], view=notice_view(payload["blocks"]))
    except SlackApiError as exc:
        log.info("notice not opened (%s): sent as a message", exc.response.get("error"))
        return False
    return True


def user_and_team(body: dict[str, Any]) -> tuple[str, str]:
    """Who sent it and from which workspace: a slash command says so flat, a payload nested."""
    if "command" in body:
        return str(body.get("user_id", "")), str(body.get("team_id", ""))
    user = body.get("user") or {}
    team = body.get("team") or {}
    return str(user.get("id", "")), str(team.get("id") or user.get("team_id", ""))
