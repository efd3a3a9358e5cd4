"""build_app(): the bolt App with Baton's guards and every listener from handlers/."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from slack_bolt import App, BoltResponse
from slack_bolt.request import BoltRequest
from sqlalchemy.exc import SQLAlchemyError

from bot.runtime import Runtime
from handlers import (
    actions,
    commands,
    envelope,
    events,
    home,
    project_setup,
    snooze,
    views,
    workflow,
)
from handlers.context import TRY_AGAIN
from models.schemas.base import Actor
from models.services import audit, receipts

log = logging.getLogger(__name__)

FOREIGN_WORKSPACE = "This Slack workspace is not connected to Baton, so nothing was done."


def build_app(rt: Runtime, *, socket_mode: bool = False) -> App:
    secret = rt.settings.slack_signing_secret
    app = App(
        # Named here: without a name bolt reads the whole call stack (inspect.stack(), source
        # lines and all) to name the app after its caller's file, tens of milliseconds a call.
        name="baton",
        client=rt.client,
        signing_secret=secret.get_secret_value() if secret else None,
        request_verification_enabled=not socket_mode,
        token_verification_enabled=False,  # auth.test is called once by rt.register_workspace
        listener_executor=ThreadPoolExecutor(max_workers=16, thread_name_prefix="baton-listener"),
        raise_error_for_unhandled_request=False,
    )
    app.use(_well_formed)  # socket mode's way in; over HTTP, bot/web.py checked already
    app.use(_only_installed_workspaces(rt))
    app.use(_drop_event_retries(rt))
    # Before actions: their buttons must match ahead of its catch-all listener.
    for module in (commands, project_setup, home, snooze, actions, views, events, workflow):
        module.register(app, rt)
    return app


def _well_formed(req: BoltRequest, next: Callable[[], BoltResponse]) -> BoltResponse:
    """Listeners index the fields Slack always sends: a request without them stops here."""
    if problem := envelope.problem_of(req.body or {}):
        log.warning("refused an ill-shaped Slack request: %s", problem)
        if envelope.is_command(req.body):
            return _ephemeral(envelope.COULD_NOT_READ)
        return BoltResponse(status=400, body=envelope.COULD_NOT_READ)
    return next()


def _only_installed_workspaces(rt: Runtime) -> Callable[..., Any]:
    """Bolt's single-token mode never compares a request's team with the token's: we do."""
    known: set[str] = set()

    def guard(req: BoltRequest, context: Any, next: Callable[[], BoltResponse]) -> BoltResponse:
        team = context.team_id or context.enterprise_id
        try:
            if team in known or (team and team in _refresh(known, rt)):
                return next()
        except SQLAlchemyError as exc:  # cannot tell who is installed: say so, do nothing
            log.error("workspace check failed, database unavailable: %s", exc.__class__.__name__)
            return _ephemeral(TRY_AGAIN)
        user = context.user_id or "unknown"
        log.warning("refused a request from workspace %s (not installed)", team)
        _audit_foreign(rt, str(team or "unknown"), user)
        return _ephemeral(FOREIGN_WORKSPACE)

    return guard


def _ephemeral(text: str) -> BoltResponse:
    body = {"response_type": "ephemeral", "text": text}
    return BoltResponse(
        status=200, body=json.dumps(body), headers={"content-type": "application/json"}
    )


def _refresh(known: set[str], rt: Runtime) -> set[str]:
    known |= rt.installed_teams()
    return known


def _audit_foreign(rt: Runtime, team: str, user: str) -> None:
    try:
        with rt.session() as s:
            audit.record_refusal(s, Actor(team, user[:32]), "foreign_workspace", FOREIGN_WORKSPACE)
    except SQLAlchemyError:
        log.exception("could not audit a refused foreign-workspace request")


def _drop_event_retries(rt: Runtime) -> Callable[..., Any]:
    """Slack redelivers events it thinks failed; the event_id key makes each one count once."""

    def dedupe(req: BoltRequest, context: Any, next: Callable[[], BoltResponse]) -> BoltResponse:
        body = req.body or {}
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        try:
            first = not event_id or _first_delivery(rt, str(event_id), str(context.team_id))
        except SQLAlchemyError as exc:  # cannot record it: a 503 has Slack deliver it again
            log.error("event %s deferred, database unavailable: %s", event_id, type(exc).__name__)
            return BoltResponse(status=503, body="")
        return next() if first else BoltResponse(status=200, body="")

    return dedupe


def _first_delivery(rt: Runtime, event_id: str, team_id: str) -> bool:
    with rt.session() as s:
        return receipts.first_receipt(s, event_id, team_id)
