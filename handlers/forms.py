"""What more than one listener module builds or reads: the set-up form (App Home, the shortcut
and `project create` open it), the ephemeral card a decision replaces (a button or the reason
modal makes one), and what a modal's submission says was entered. Listener modules import from here, never from each other."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk.webhook import WebhookClient

from bot.blocks import project_setup as setup_blocks
from bot.blocks import replies
from bot.runtime import Runtime
from models.enums import Decision
from models.schemas.base import Actor
from models.schemas.projects import HandoffView
from models.services import handoff_queries, project_setup

log = logging.getLogger(__name__)

SETUP_FAILED = "Slack did not open the set-up form in time. Nothing was changed; please try again."


def setup_form(rt: Runtime, channel_id: str | None) -> dict[str, Any]:
    """The empty set-up form; opened from a channel, that channel is the default home."""
    return setup_blocks.setup_view(project_setup.required_roles(rt.policy), channel_id)


def replace_ephemeral_card(
    rt: Runtime, actor: Actor, url: str | None, decided: HandoffView, decision: Decision
) -> None:
    """Replace the ephemeral answer a decision was made from with the card as it stands and
    what still waits on the person; never raises (the decision stands either way)."""
    if url is None:
        return
    try:
        with rt.session(reading=True) as s:
            pending = handoff_queries.pending_signoffs(s, actor.team_id, actor.user_id, rt.policy)
        answer = replies.signoffs_after_decision(decided, decision, pending)
        sent = WebhookClient(url, timeout=5).send_dict({"replace_original": True, **answer})
        if sent.status_code != 200:
            log.warning("could not replace the ephemeral card: HTTP %s", sent.status_code)
    except Exception as exc:  # only the view lags behind
        log.warning("could not replace the ephemeral card: %s", type(exc).__name__)


def submitted_values(view: dict[str, Any]) -> dict[str, str]:
    """block_id → what was entered, from the view state Slack sends with the submission."""
    values = view.get("state", {}).get("values", {})
    return {
        block_id: _entered(inputs.get("value"))
        for block_id, inputs in values.items()
        if isinstance(inputs, dict)
    }


def _entered(state: Any) -> str:
    """One element's state as text: each element type reports it under its own key
    (plain, url and number inputs: `value`; datepicker: `selected_date`; static_select:
    `selected_option.value`; users_select: `selected_user`), null when left empty."""
    if not isinstance(state, dict):
        return ""
    chosen = state.get("selected_option")
    if isinstance(chosen, dict):
        return str(chosen.get("value") or "")
    for key in ("selected_date", "selected_user", "value"):
        if state.get(key) is not None:
            return str(state[key])
    return ""
