"""The project set-up modal: key, display name, home channel, and per role a lead and members.

Opened empty to set a project up, or prefilled with the project's roles to edit them (then the
key, name and channel are shown, not asked). Block ids are what the submission is read by.
"""

from __future__ import annotations

import json
from typing import Any

from bot.blocks.kit import Block, context, modal, picker_input, section, text_input
from bot.blocks.text import channel, escape
from models.enums import Role
from models.schemas.projects import ProjectSummary, RoleHolders

CALLBACK = "project.setup"
SHORTCUT = "project_setup"  # the global shortcut's callback id (bot/manifest.yml)
KEY, NAME, CHANNEL = "key", "name", "channel"
KEY_HINT = "e.g. churn-model; left empty, made from the name"


def lead_block(role: Role) -> str:
    return f"lead.{role.value}"


def members_block(role: Role) -> str:
    return f"members.{role.value}"


def setup_view(required: list[Role], channel_id: str | None = None) -> Block:
    """A new project; its home channel defaults to the conversation it was opened from."""
    channel_extra: dict[str, Any] = {"filter": {"include": ["public", "private"]}}
    if channel_id:
        channel_extra["default_to_current_conversation"] = True
    blocks: list[Block] = [
        section("Set up a project: its home channel and who leads each role."),
        text_input(NAME, "Display name", hint="e.g. Churn model"),
        text_input(KEY, "Project key", hint=KEY_HINT, optional=True),
        picker_input(
            CHANNEL, "Home channel", "conversations_select", initial=channel_id, **channel_extra
        ),
        *_role_inputs(required, {}),
    ]
    return modal("New project", CALLBACK, blocks, submit="Create", private_metadata="{}")


def edit_view(project: ProjectSummary, roles: list[RoleHolders], required: list[Role]) -> Block:
    blocks: list[Block] = [
        section(
            f"*{escape(project.name)}* (`{project.key}`), home channel {channel(project.channel_id)}"
        ),
        context(
            "Each change is recorded in the project's history; unchanged roles stay as they are."
        ),
        *_role_inputs(required, {h.role: h for h in roles}),
    ]
    metadata = json.dumps({"key": project.key})
    return modal("Edit roles", CALLBACK, blocks, submit="Save", private_metadata=metadata)


def _role_inputs(required: list[Role], now: dict[Role, RoleHolders]) -> list[Block]:
    blocks: list[Block] = []
    for role in Role:
        held = now.get(role)
        optional = role not in required
        others = [u for u in held.members if u != held.lead] if held else []
        blocks += [
            picker_input(
                lead_block(role),
                f"{role.label} lead",  # Slack itself marks optional inputs "(optional)"
                "users_select",
                initial=held.lead if held else None,
                optional=optional,
            ),
            picker_input(
                members_block(role),
                f"{role.label} members",
                "multi_users_select",
                initial=others,
                optional=True,
            ),
        ]
    return blocks
