"""What the integration services return: API tokens, webhook subscriptions, MLflow model
links, and what one MLflow webhook did to a linked project."""

from __future__ import annotations

from datetime import datetime

from models.schemas.base import View


class TokenView(View):
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None = None
    revoked_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


class WebhookView(View):
    id: int
    url: str
    events: list[str]
    created_by: str
    created_at: datetime
    active: bool


class ModelLinkView(View):
    project_key: str
    registered_model: str
    created_by: str
    created_at: datetime


class Outcome(View):
    """What one webhook did to one linked project, for the response and the log."""

    project: str
    outcome: str  # recorded | already_recorded | requested | not_requested
    note: str | None = None
