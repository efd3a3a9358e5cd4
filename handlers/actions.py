"""Sign-off buttons. The button value carries only the hand-off id; the database decides."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.blocks import alerts as alert_blocks
from bot.blocks import handoff as handoff_blocks
from bot.runtime import Runtime
from handlers.context import (
    TRY_AGAIN,
    Unavailable,
    audit_refusal,
    database_errors,
    tell_user,
    user_and_team,
)
from handlers.events import publish_home
from models.enums import Decision
from models.errors import DomainError, NotFound
from models.monitor_views import AckResult
from models.services import decisions, monitoring, views

log = logging.getLogger(__name__)


def register(app: App, rt: Runtime) -> None:
    @app.action(handoff_blocks.APPROVE)
    def on_approve(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        refusal = _approve(rt, body)  # a few milliseconds of database work: well inside 3 s
        ack()
        if refusal:
            tell_user(client, body, respond, refusal)
            return
        if body.get("view", {}).get("type") == "home":
            user, team = user_and_team(body)
            publish_home(rt, client, team, user)

    @app.action(handoff_blocks.REQUEST_CHANGES)
    def on_request_changes(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        _ask_reason(rt, body, client, respond, Decision.CHANGES_REQUESTED)

    @app.action(handoff_blocks.REJECT)
    def on_reject(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        _ask_reason(rt, body, client, respond, Decision.REJECTED)

    _register_alert_buttons(app, rt)
    _register_unknown_buttons(app)


UNKNOWN_BUTTON = (
    "Baton does not know that button (it may come from an older message), so nothing was done."
)


def _register_unknown_buttons(app: App) -> None:
    # Registered last: bolt runs the first listener that matches, so this sees only the rest.
    @app.action(re.compile(".*"))
    def on_unknown(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        ack()
        action = str((body.get("actions") or [{}])[0].get("action_id", ""))
        log.warning("click on an unknown action id %r", action[:80])
        tell_user(client, body, respond, UNKNOWN_BUTTON)


def _register_alert_buttons(app: App, rt: Runtime) -> None:
    @app.action(alert_blocks.ACK)
    def on_alert_ack(ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond) -> None:
        outcome = _acknowledge(rt, body)  # one short transaction: well inside 3 s
        ack()
        if isinstance(outcome, str):
            tell_user(client, body, respond, outcome)
            return
        # The alert in the channel now says who is on it, and its Acknowledge button goes.
        try:
            respond(replace_original=True, **alert_blocks.opened_message(outcome.alert))
        except (SlackApiError, OSError) as exc:  # the acknowledgement stands; only the view lags
            log.warning("could not update the alert message: %s", exc)

    @app.action(alert_blocks.RETRAIN)
    def on_alert_retrain(
        ack: Ack, body: dict[str, Any], client: WebClient, respond: Respond
    ) -> None:
        ack()
        _open_retrain_form(rt, body, client, respond)


def handoff_id_of(body: dict[str, Any]) -> int:
    """The clicked button's hand-off id; a tampered value is refused like a missing hand-off."""
    value = str((body.get("actions") or [{}])[0].get("value", ""))
    if not value.isdigit() or len(value) > 18:
        raise NotFound("That button does not point at a hand-off.")
    return int(value)


def alert_id_of(body: dict[str, Any]) -> int:
    """The clicked button's alert id; a tampered value is refused like a missing alert."""
    value = str((body.get("actions") or [{}])[0].get("value", ""))
    if not value.isdigit() or len(value) > 15:
        raise NotFound("That button does not point at an alert.")
    return int(value)


def _acknowledge(rt: Runtime, body: dict[str, Any]) -> AckResult | str:
    """The acknowledged alert, or why it was refused (a repeat says who was first)."""
    user, team = user_and_team(body)
    actor = rt.actor(team, user)
    try:
        with database_errors(), rt.session() as s:
            result = monitoring.acknowledge(s, actor, alert_id_of(body))
    except DomainError as exc:
        value = (body.get("actions") or [{}])[0].get("value")
        audit_refusal(rt, actor, "alert.ack", exc, alert=value)
        return exc.message
    except Unavailable:
        return TRY_AGAIN
    if not result.changed:  # error replies show text as typed, so no mention here
        mine = result.alert.acknowledged_by == user
        return (
            "You already acknowledged this alert."
            if mine
            else "Someone already acknowledged this alert."
        )
    return result


def _open_retrain_form(
    rt: Runtime, body: dict[str, Any], client: WebClient, respond: Respond
) -> None:
    user, team = user_and_team(body)
    actor = rt.actor(team, user)
    try:
        with database_errors(), rt.session() as s:
            form = monitoring.retrain_form(s, actor, alert_id_of(body), rt.policy)
    except DomainError as exc:
        value = (body.get("actions") or [{}])[0].get("value")
        audit_refusal(rt, actor, "alert.retrain", exc, alert=value)
        tell_user(client, body, respond, exc.message)
        return
    except Unavailable:
        tell_user(client, body, respond, TRY_AGAIN)
        return
    view = handoff_blocks.form_view(form.key, form.transition, form.prefill, form.resubmit)
    try:
        client.views_open(trigger_id=body["trigger_id"], view=view)
    except SlackApiError as exc:
        log.warning("views.open failed: %s", exc.response.get("error"))


def _approve(rt: Runtime, body: dict[str, Any]) -> str | None:
    """Record the approval; the reason it was refused, if it was."""
    user, team = user_and_team(body)
    actor = rt.actor(team, user)
    try:
        with database_errors(), rt.session() as s:
            decisions.decide(s, actor, handoff_id_of(body), Decision.APPROVED, rt.policy)
    except DomainError as exc:
        value = (body.get("actions") or [{}])[0].get("value")
        audit_refusal(rt, actor, "handoff.approve", exc, handoff=value)
        return exc.message
    except Unavailable:
        return TRY_AGAIN
    return None


def _ask_reason(
    rt: Runtime, body: dict[str, Any], client: WebClient, respond: Respond, decision: Decision
) -> None:
    user, team = user_and_team(body)
    actor = rt.actor(team, user)
    try:
        with database_errors(), rt.session(reading=True) as s:
            handoff_id = handoff_id_of(body)
            decisions.check_may_decide(s, actor, handoff_id, decision)
            view = views.view_by_id(s, team, handoff_id, rt.policy)
    except DomainError as exc:  # refused now, not after a reason was typed for nothing
        value = (body.get("actions") or [{}])[0].get("value")
        audit_refusal(rt, actor, f"handoff.{decision.value}", exc, handoff=value)
        tell_user(client, body, respond, exc.message)
        return
    except Unavailable:
        tell_user(client, body, respond, TRY_AGAIN)
        return
    try:
        client.views_open(
            trigger_id=body["trigger_id"],
            view=handoff_blocks.reason_view(handoff_id, decision, view),
        )
    except SlackApiError as exc:
        log.warning("views.open failed: %s", exc.response.get("error"))
