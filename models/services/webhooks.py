"""Outbound webhooks: subscriptions (URL, events, signing secret) and the events queued for
them in the transaction of the change, delivered by the outbox's "webhook" sink."""

from __future__ import annotations

import secrets
import uuid
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import select
from sqlalchemy.orm import Session

from models.base import utcnow
from models.enums import Decision, HandoffStatus, Stage
from models.errors import DomainError, NotFound
from models.handoff import Handoff
from models.notifications import WebhookDelivery
from models.project import Project
from models.schemas.base import Actor
from models.schemas.integrations import WebhookView
from models.services import audit, outbox
from models.webhooks import WebhookSubscription

EVENTS = ("handoff.decided", "handoff.cancelled", "stage.changed")
SECRET_PREFIX = "whsec_"
URL_MAX = 2000


def add_subscription(
    s: Session, team_id: str, url: str, events: list[str], *, by: str = "cli"
) -> tuple[str, WebhookView]:
    """A new subscription and its signing secret (to show once; Baton keeps it to sign)."""
    url, wanted = check_url(url), check_events(events)
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    sub = WebhookSubscription(team_id=team_id, url=url, events=wanted, secret=secret, created_by=by)
    s.add(sub)
    s.flush()
    audit.record(s, Actor(team_id, by), "webhook.added", webhook=sub.id, url=url, events=wanted)
    return secret, _view(sub)


def list_subscriptions(s: Session, team_id: str) -> list[WebhookView]:
    query = select(WebhookSubscription).where(WebhookSubscription.team_id == team_id)
    return [_view(w) for w in s.scalars(query.order_by(WebhookSubscription.id))]


def remove_subscription(s: Session, team_id: str, sub_id: int, *, by: str = "cli") -> WebhookView:
    sub = s.get(WebhookSubscription, sub_id)
    if sub is None or sub.team_id != team_id or not sub.active:
        raise NotFound(f"No webhook {sub_id} in this workspace. `baton webhook list` shows them.")
    sub.active = False  # kept, so queued deliveries can tell it was removed and the trail holds
    audit.record(s, Actor(team_id, by), "webhook.removed", webhook=sub.id, url=sub.url)
    return _view(sub)


def check_url(url: str) -> str:
    # Only operators add webhooks (`baton webhook add`, never a Slack user), so where they point
    # is the operator's choice, unlike monitor sources (models/sources.py); no redirects are
    # followed and no answer body is ever read back (bot/webhook_sink.py).
    text = url.strip()
    try:
        parts = urlsplit(text)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError:
        raise DomainError(f"'{text[:100]}' is not a valid URL.") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise DomainError("A webhook URL must be http:// or https:// with a host.")
    if parts.username is not None or parts.password is not None:
        raise DomainError("A webhook URL must not carry credentials; it is signed instead.")
    if len(text) > URL_MAX or any(c.isspace() for c in text):
        raise DomainError(f"A webhook URL must be one line of at most {URL_MAX} characters.")
    return text


def check_events(events: list[str]) -> list[str]:
    wanted = list(dict.fromkeys(e.strip() for e in events if e.strip()))
    unknown = [e for e in wanted if e not in EVENTS]
    if unknown or not wanted:
        raise DomainError(
            f"Unknown event{'s' if len(unknown) > 1 else ''}: {', '.join(unknown) or 'none given'}. "
            f"Choose from: {', '.join(EVENTS)}."
        )
    return wanted


# -- events, queued in the transaction of the change -------------------------------------------


def handoff_closed(s: Session, project: Project, handoff: Handoff, by: str) -> None:
    """A hand-off decided (approved, rejected, changes requested) or cancelled, by `by`."""
    cancelled = handoff.status == HandoffStatus.CANCELLED
    event = "handoff.cancelled" if cancelled else "handoff.decided"
    signoffs = [sg for sg in handoff.signoffs if sg.round == handoff.round]
    emit(
        s,
        project,
        event,
        handoff_id=handoff.id,
        transition={"from": handoff.from_stage.value, "to": handoff.to_stage.value},
        status=handoff.status.value,
        round=handoff.round,
        decided_by=by,
        approvers=[sg.user_id for sg in signoffs if sg.decision == Decision.APPROVED],
        reasons=[sg.reason for sg in signoffs if sg.reason],
    )


def stage_changed(
    s: Session, project: Project, previous: Stage, handoff_id: int | None = None
) -> None:
    emit(
        s,
        project,
        "stage.changed",
        handoff_id=handoff_id,
        stage_from=previous.value,
        stage_to=project.stage.value,
    )


def emit(s: Session, project: Project, event: str, **data: Any) -> None:
    """One outbox row per active subscription to `event` in the project's workspace."""
    subs = s.scalars(
        select(WebhookSubscription).where(
            WebhookSubscription.team_id == project.team_id, WebhookSubscription.active.is_(True)
        )
    )
    for sub in subs:
        if event not in sub.events:
            continue
        delivery = str(uuid.uuid4())
        body = {
            "id": delivery,
            "type": event,
            "created_at": utcnow().isoformat(),
            "team_id": project.team_id,
            "project": project.key,
            "data": data,
        }
        note = WebhookDelivery(
            project_id=project.id,
            handoff_id=data.get("handoff_id"),
            subscription_id=sub.id,
            delivery_id=delivery,
            event=event,
            body=body,
        )
        outbox.to_sink(s, project.team_id, str(sub.id), note)


def _view(w: WebhookSubscription) -> WebhookView:
    return WebhookView(
        id=w.id,
        url=w.url,
        events=list(w.events),
        created_by=w.created_by,
        created_at=w.created_at,
        active=w.active,
    )
