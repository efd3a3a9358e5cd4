"""App Home's buttons: a project's status, a hand-off for it, and which project a hand-off is for."""

from __future__ import annotations

from typing import Any

from slack_bolt import App

from bot.blocks import handoff as handoff_blocks
from bot.blocks import home as home_blocks
from bot.blocks import replies
from bot.runtime import Runtime
from handlers.listener import Incoming, Kind, listener
from models.base import utcnow
from models.services import digest, handoffs, roster

FORM_FAILED = "Slack did not open the form in time. Nothing was changed; please click again."
NO_PROJECT = "You hold no role on any project yet: *New project* sets one up."


def register(app: App, rt: Runtime) -> None:
    @app.action(home_blocks.STATUS)
    @listener(rt, Kind.ACTION, "status.read")
    def on_status(req: Incoming) -> None:
        req.ack()
        key = req.detail["project_key"] = req.button_value()
        now = utcnow()
        with rt.session(reading=True) as s:
            card = digest.project_status(s, req.actor.team_id, key, rt.policy, now)
        req.open_view(home_blocks.status_view(replies.status_card(card, now)), FORM_FAILED)

    @app.action(home_blocks.REQUEST_HANDOFF)
    @listener(rt, Kind.ACTION, "handoff.request")
    def on_request_handoff(req: Incoming) -> None:
        req.ack()
        key = req.detail["project_key"] = req.button_value()
        req.open_view(_form(rt, req, key), FORM_FAILED)

    @app.action(home_blocks.CHOOSE_HANDOFF)
    @listener(rt, Kind.ACTION, "handoff.request")
    def on_choose_handoff(req: Incoming) -> None:
        req.ack()
        with rt.session(reading=True) as s:
            mine = roster.my_projects(s, req.actor.team_id, req.actor.user_id)
        if not mine:  # nothing refused: there is just nothing to hand off yet
            req.tell(NO_PROJECT)
            return
        if len(mine) == 1:
            req.open_view(_form(rt, req, mine[0].key), FORM_FAILED)
            return
        req.open_view(home_blocks.handoff_choice_view(mine), FORM_FAILED)

    @app.view(home_blocks.CHOICE_CALLBACK)
    @listener(rt, Kind.VIEW, "handoff.request")
    def on_choice(req: Incoming) -> None:
        values = req.body["view"].get("state", {}).get("values", {})
        chosen = ((values.get(home_blocks.CHOICE_BLOCK) or {}).get("value") or {}).get(
            "selected_option"
        ) or {}
        key = str(chosen.get("value") or "")
        req.error_block = home_blocks.CHOICE_BLOCK
        req.detail["project_key"] = key
        req.ack(response_action="update", view=_form(rt, req, key))


def _form(rt: Runtime, req: Incoming, key: str) -> dict[str, Any]:
    """The hand-off form to the project's next stage, refused before it opens if it must be."""
    with rt.session(reading=True) as s:
        form = handoffs.form_for(s, req.actor, key, None, rt.policy)
    return handoff_blocks.form_view(form.key, form.transition, form.prefill, form.resubmit)
