"""Events: App Home, rendered from the user's pending sign-offs and projects."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError

from bot.blocks.home import home_view
from bot.runtime import Runtime
from models.services import roster, views

log = logging.getLogger(__name__)


def register(app: App, rt: Runtime) -> None:
    @app.event("app_home_opened")
    def on_home_opened(event: dict[str, Any], client: WebClient, context: Any) -> None:
        if event.get("tab", "home") == "home":
            publish_home(rt, client, str(context.team_id), str(event["user"]))


def publish_home(rt: Runtime, client: WebClient, team_id: str, user_id: str) -> None:
    try:
        with rt.session() as s:
            pending = views.pending_signoffs(s, team_id, user_id, rt.policy)
            mine = roster.my_projects(s, team_id, user_id)
        client.views_publish(user_id=user_id, view=home_view(pending, mine))
    except SQLAlchemyError:
        log.exception("App Home not refreshed: database error")
    except SlackApiError as exc:
        log.warning("views.publish failed: %s", exc.response.get("error"))
