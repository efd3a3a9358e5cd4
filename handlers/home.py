"""App Home's buttons: a project's status, a hand-off for it, which project a hand-off is for,
and Away / Back (the modal calls the same service as the away command)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from slack_bolt import App

from bot.blocks import away as away_blocks
from bot.blocks import handoff as handoff_blocks
from bot.blocks import home as home_blocks
from bot.blocks import replies
from bot.names import unfit_delegate
from bot.runtime import Runtime
from handlers.forms import submitted_values
from handlers.listener import Incoming, Kind, listener
from models.base import utcnow
from models.services import absences, digest, handoffs, roster

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

    _register_away(app, rt)


def _register_away(app: App, rt: Runtime) -> None:
    @app.action(away_blocks.AWAY)
    @listener(rt, Kind.ACTION, "absence.start")
    def on_away(req: Incoming) -> None:
        req.ack()
        now = utcnow()  # one indexed read, then views.open: the trigger lives 3 s
        with rt.session(reading=True) as s:
            current = absences.current_absence(s, req.actor.team_id, req.actor.user_id, now)
        until = current.until if current else now.date() + timedelta(days=1)
        req.open_view(away_blocks.away_modal(until, current), FORM_FAILED)

    @app.view(away_blocks.CALLBACK)
    @listener(rt, Kind.VIEW, "absence.start")
    def on_away_submit(req: Incoming) -> None:
        values = submitted_values(req.body["view"])
        delegate = values.get(away_blocks.DELEGATE) or None
        req.error_block = away_blocks.UNTIL
        try:
            until = date.fromisoformat(values.get(away_blocks.UNTIL, ""))
        except ValueError:
            req.tell("Pick the date you will be back.")
            return
        req.detail.update(until=until.isoformat(), user=delegate or "")
        unfit = unfit_delegate(req.client, delegate) if delegate else None
        if delegate and (unfit or until >= utcnow().date()):
            req.error_block = away_blocks.DELEGATE  # the service judges the date first
        if unfit:
            req.tell(unfit)
            return
        reason = values.get(away_blocks.REASON) or None
        with rt.session() as s:
            absences.go_away(s, req.actor, until, delegate, reason, utcnow(), rt.policy)
        req.ack()  # the modal closes; App Home is published again from the outbox

    @app.action(away_blocks.BACK)
    @listener(rt, Kind.ACTION, "absence.end")
    def on_back(req: Incoming) -> None:
        with rt.session() as s:
            absences.come_back(s, req.actor, utcnow(), rt.policy)
        req.ack()


def _form(rt: Runtime, req: Incoming, key: str) -> dict[str, Any]:
    """The hand-off form to the project's next stage, refused before it opens if it must be."""
    with rt.session(reading=True) as s:
        form = handoffs.form_for(s, req.actor, key, None, rt.policy)
    return handoff_blocks.form_view(form.key, form.transition, form.prefill, form.resubmit)
