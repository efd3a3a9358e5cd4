"""The project set-up modal: opened from App Home, the global shortcut or `project create`;
its submission sets the project up (or edits its roles) in one transaction."""

from __future__ import annotations

from re import Pattern
from typing import Any

from slack_bolt import App

from bot.blocks import project_setup as setup_blocks
from bot.blocks.home import EDIT_ROLES, NEW_PROJECT
from bot.blocks.roster import FIX_ROSTER
from bot.channels import baton_can_post
from bot.runtime import Runtime
from handlers.envelope import Unreadable, read_object
from handlers.forms import SETUP_FAILED as FORM_FAILED
from handlers.forms import setup_form
from handlers.listener import Incoming, Kind, listener
from models import rules
from models.enums import Role
from models.errors import FormInvalid
from models.services import project_setup

SLACK_USER, SLACK_CHANNEL = rules.SLACK_USER, rules.SLACK_CHANNEL


def register(app: App, rt: Runtime) -> None:
    @app.shortcut(setup_blocks.SHORTCUT)
    @listener(rt, Kind.ACTION, "project.setup")
    def on_shortcut(req: Incoming) -> None:
        req.ack()
        open_setup(rt, req, None)

    @app.action(NEW_PROJECT)
    @listener(rt, Kind.ACTION, "project.setup")
    def on_new_project(req: Incoming) -> None:
        req.ack()
        open_setup(rt, req, None)

    @app.action(EDIT_ROLES)
    @app.action(FIX_ROSTER)  # the weekly roster check DM's button: the same modal
    @listener(rt, Kind.ACTION, "project.edit_roles")
    def on_edit_roles(req: Incoming) -> None:
        req.ack()
        key = req.button_value()
        req.detail["project_key"] = key
        with rt.session(reading=True) as s:
            found = project_setup.roles_for_edit(s, req.actor, key)
        required = project_setup.required_roles(rt.policy)
        req.open_view(setup_blocks.edit_view(found.project, found.roles, required), FORM_FAILED)

    @app.view(setup_blocks.CALLBACK)
    @listener(rt, Kind.VIEW, "project.setup")
    def on_submit(req: Incoming) -> None:
        _submit(rt, req)


def open_setup(rt: Runtime, req: Incoming, channel_id: str | None) -> None:
    req.open_view(setup_form(rt, channel_id), FORM_FAILED)


def _submit(rt: Runtime, req: Incoming) -> None:
    view = req.body["view"]
    state = view.get("state", {}).get("values", {})
    key = read_object(view.get("private_metadata") or "{}").get("key")
    wishes = {role: _wish(state, role) for role in Role}
    req.error_block = setup_blocks.lead_block(Role.ML_ARCHITECT)
    editing = isinstance(key, str) and bool(key)
    # Slack is asked before the transaction opens: no row lock waits on a Web API call.
    channel = None if editing else _home_channel(req, state)
    try:
        with rt.session() as s:
            if channel is None:
                req.refusal, req.detail["project_key"] = "project.edit_roles", key
                project_setup.apply_roles(s, req.actor, str(key), wishes)
            else:
                project_setup.setup_project(
                    s,
                    req.actor,
                    _text(state, setup_blocks.KEY),
                    _text(state, setup_blocks.NAME),
                    channel,
                    wishes,
                )
    except FormInvalid as exc:
        req.ack(response_action="errors", errors=exc.errors)


def _home_channel(req: Incoming, state: dict[str, Any]) -> project_setup.HomeChannel:
    picked = _picked(state, setup_blocks.CHANNEL, "selected_conversation", SLACK_CHANNEL)
    if not picked:
        return project_setup.HomeChannel("")
    return project_setup.HomeChannel(picked, baton_can_post(req.client, picked))


def _wish(state: dict[str, Any], role: Role) -> project_setup.RoleWish:
    lead = _picked(state, setup_blocks.lead_block(role), "selected_user", SLACK_USER)
    members = _entry(state, setup_blocks.members_block(role)).get("selected_users") or []
    if not isinstance(members, list):
        raise Unreadable("a members picker sent no list")
    people = tuple(dict.fromkeys(_slack_id(m, SLACK_USER) for m in members))
    return project_setup.RoleWish(lead, people)


def _entry(state: dict[str, Any], block_id: str) -> dict[str, Any]:
    entry = (state.get(block_id) or {}).get("value") or {}
    return entry if isinstance(entry, dict) else {}


def _picked(state: dict[str, Any], block_id: str, field: str, kind: Pattern[str]) -> str | None:
    value = _entry(state, block_id).get(field)
    return _slack_id(value, kind) if value else None


def _text(state: dict[str, Any], block_id: str) -> str:
    value = _entry(state, block_id).get("value")
    return value if isinstance(value, str) else ""


def _slack_id(value: Any, kind: Pattern[str]) -> str:
    """A picked id of the picker's kind: a user picker sends only user ids (U…, W…)."""
    if not isinstance(value, str) or not kind.match(value):
        raise Unreadable("a picker sent an id of the wrong kind")
    return value
