"""Sign-off and alert buttons. The button value carries only the row's id; the database decides."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import App
from slack_sdk.errors import SlackApiError

from bot.blocks import alerts as alert_blocks
from bot.blocks import handoff as handoff_blocks
from bot.runtime import Runtime
from handlers.events import publish_home
from handlers.forms import replace_ephemeral_card
from handlers.listener import Incoming, Kind, listener
from models.enums import Decision
from models.services import decisions, handoff_queries, handoffs, monitoring

log = logging.getLogger(__name__)

UNKNOWN_BUTTON = (
    "Baton does not know that button (it may come from an older message), so nothing was done."
)
FORM_FAILED = "Slack did not open the form in time. Nothing was changed; please click again."
HANDOFF, ALERT = "a hand-off", "an alert"


def register(app: App, rt: Runtime) -> None:
    @app.action(handoff_blocks.APPROVE)
    @listener(rt, Kind.ACTION, "handoff.approve")
    def on_approve(req: Incoming) -> None:
        req.detail["handoff"] = req.button_value()
        # A few milliseconds of database work, well inside Slack's 3 s, then the answer.
        with rt.session() as s:
            result = decisions.decide(
                s, req.actor, req.button_id(HANDOFF), Decision.APPROVED, rt.policy
            )
        req.ack()
        if (req.body.get("view") or {}).get("type") == "home":
            publish_home(rt, req.client, req.actor.team_id, req.actor.user_id)
        reply = ephemeral_reply_url(req.body)
        replace_ephemeral_card(rt, req.actor, reply, result.handoff, Decision.APPROVED)

    @app.action(handoff_blocks.REQUEST_CHANGES)
    @listener(rt, Kind.ACTION, "handoff.request_changes")
    def on_request_changes(req: Incoming) -> None:
        req.ack()
        _ask_reason(rt, req, Decision.CHANGES_REQUESTED)

    @app.action(handoff_blocks.REJECT)
    @listener(rt, Kind.ACTION, "handoff.reject")
    def on_reject(req: Incoming) -> None:
        req.ack()
        _ask_reason(rt, req, Decision.REJECTED)

    @app.action(handoff_blocks.RESUBMIT)
    @listener(rt, Kind.ACTION, "handoff.resubmit")
    def on_resubmit(req: Incoming) -> None:
        req.ack()
        req.detail["handoff"] = req.button_value()
        with rt.session(reading=True) as s:
            form = handoffs.resubmit_form(s, req.actor, req.button_id(HANDOFF), rt.policy)
        view = handoff_blocks.form_view(form.key, form.transition, form.prefill, form.resubmit)
        req.open_view(view, FORM_FAILED)

    _register_alert_buttons(app, rt)
    _register_unknown_buttons(app, rt)


def ephemeral_reply_url(body: dict[str, Any]) -> str | None:
    """The response_url of a click on an ephemeral message (the `signoffs` answer), which
    only that URL can replace; None for messages chat.update reaches."""
    container = body.get("container") or {}
    url = body.get("response_url")
    if container.get("is_ephemeral") is True and isinstance(url, str) and url.startswith("http"):
        return url
    return None


def _register_unknown_buttons(app: App, rt: Runtime) -> None:
    # Registered last: bolt runs the first listener that matches, so this sees only the rest.
    @app.action(re.compile(".*"))
    @listener(rt, Kind.ACTION, "button.click")
    def on_unknown(req: Incoming) -> None:
        req.ack()
        action = str(req.body["actions"][0].get("action_id", ""))
        log.warning("click on an unknown action id %r", action[:80])
        req.tell(UNKNOWN_BUTTON)


def _register_alert_buttons(app: App, rt: Runtime) -> None:
    @app.action(alert_blocks.ACK)
    @listener(rt, Kind.ACTION, "alert.ack")
    def on_alert_ack(req: Incoming) -> None:
        req.detail["alert"] = req.button_value()
        with rt.session() as s:  # one short transaction: well inside 3 s
            result = monitoring.acknowledge(s, req.actor, req.button_id(ALERT))
        req.ack()
        if not result.changed:  # error replies show text as typed, so no mention here
            mine = result.alert.acknowledged_by == req.actor.user_id
            req.tell(f"{'You' if mine else 'Someone'} already acknowledged this alert.")
            return
        # The alert in the channel now says who is on it, and its Acknowledge button goes.
        try:
            if req.respond is not None:
                req.respond(replace_original=True, **alert_blocks.opened_message(result.alert))
        except (SlackApiError, OSError, ValueError) as exc:  # the ack stands; only the view lags
            log.warning("could not update the alert message: %s", exc)

    @app.action(alert_blocks.RETRAIN)
    @listener(rt, Kind.ACTION, "alert.retrain")
    def on_alert_retrain(req: Incoming) -> None:
        req.ack()
        req.detail["alert"] = req.button_value()
        with rt.session() as s:
            form = monitoring.retrain_form(s, req.actor, req.button_id(ALERT), rt.policy)
        view = handoff_blocks.form_view(
            form.key, form.transition, form.prefill, form.resubmit, form.stand_ins
        )
        req.open_view(view, FORM_FAILED)


def _ask_reason(rt: Runtime, req: Incoming, decision: Decision) -> None:
    """Refused now, not after a reason was typed for nothing; else the reason modal."""
    req.detail["handoff"] = req.button_value()
    handoff_id = req.button_id(HANDOFF)
    with rt.session(reading=True) as s:
        decisions.check_may_decide(s, req.actor, handoff_id, decision, rt.policy)
        view = handoff_queries.view_by_id(s, req.actor.team_id, handoff_id, rt.policy)
    reply = ephemeral_reply_url(req.body)  # the modal's submission replaces that card
    req.open_view(handoff_blocks.reason_view(handoff_id, decision, view, reply), FORM_FAILED)
