"""Events: App Home, rendered from the user's pending sign-offs and projects."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from bot.renderers import home_for
from bot.runtime import Runtime
from handlers.listener import Incoming, Kind, listener

log = logging.getLogger(__name__)


def register(app: App, rt: Runtime) -> None:
    @app.event("app_home_opened")
    @listener(rt, Kind.EVENT, "home.open")
    def on_home_opened(req: Incoming) -> None:
        event = req.body["event"]  # its shape was checked in handlers/envelope.py
        if event.get("tab", "home") == "home":
            publish_home(rt, req.client, str(req.body["team_id"]), str(event["user"]))


def publish_home(rt: Runtime, client: WebClient, team_id: str, user_id: str) -> None:
    try:
        with rt.session(reading=True) as s:
            view = home_for(s, team_id, user_id, rt.policy, is_admin=user_id in rt.admins)
        client.views_publish(user_id=user_id, view=view)
    except SQLAlchemyError as exc:
        log.error("App Home not refreshed: database error: %s", type(exc).__name__)
    except SlackApiError as exc:
        log.warning("views.publish failed: %s", exc.response.get("error"))
