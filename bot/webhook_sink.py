"""The "webhook" outbox sink: POST a signed JSON event to a subscriber's URL.

Signed like MLflow signs the webhooks Baton receives (handlers/mlflow.py, Standard Webhooks):
`X-Baton-Delivery-Id` (stable across retries, so a receiver can drop repeats),
`X-Baton-Timestamp` (Unix seconds of this attempt) and
`X-Baton-Signature: v1,<base64 HMAC-SHA256(secret, "<delivery id>.<timestamp>.<body>")>`.
A 2xx is delivered; 408, 429 and 5xx or no answer are retried with backoff (429 honours
Retry-After); any other 4xx gives up. Redirects are not followed.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time

import requests
from sqlalchemy.orm import Session

from bot.runtime import Runtime
from bot.sinks import Send, SinkFailed, register
from models.notifications import WebhookDelivery
from models.outbox import OutboxMessage
from models.webhooks import WebhookSubscription

DELIVERY_HEADER = "X-Baton-Delivery-Id"
TIMESTAMP_HEADER = "X-Baton-Timestamp"
SIGNATURE_HEADER = "X-Baton-Signature"
EVENT_HEADER = "X-Baton-Event"
TIMEOUT_SECONDS = 10
RETRIED_STATUSES = frozenset({408, 425, 429})


def sign(secret: str, delivery_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{delivery_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    return f"v1,{base64.b64encode(digest).decode()}"


@register(WebhookDelivery)
def prepare(rt: Runtime, s: Session, row: OutboxMessage, note: WebhookDelivery) -> Send:
    sub = s.get(WebhookSubscription, note.subscription_id)
    if sub is None or sub.team_id != row.team_id or not sub.active:
        raise LookupError(f"webhook {note.subscription_id} was removed")
    url, secret = sub.url, sub.secret
    delivery_id, event = note.delivery_id, note.event
    body = json.dumps(note.body, separators=(",", ":"), sort_keys=True).encode()

    def send() -> None:
        stamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Baton-Webhooks/1",
            EVENT_HEADER: event,
            DELIVERY_HEADER: delivery_id,
            TIMESTAMP_HEADER: str(stamp),
            SIGNATURE_HEADER: sign(secret, delivery_id, stamp, body),
        }
        try:
            answer = requests.post(
                url, data=body, headers=headers, timeout=TIMEOUT_SECONDS, allow_redirects=False
            )
        except requests.RequestException as exc:
            raise SinkFailed(f"network: {exc.__class__.__name__}") from None
        _judge(answer)

    return send


def _judge(answer: requests.Response) -> None:
    code = answer.status_code
    if 200 <= code < 300:
        return
    if code == 429:
        raise SinkFailed("http_429", retry_after=_seconds(answer.headers.get("Retry-After")))
    if code >= 500 or code in RETRIED_STATUSES:
        raise SinkFailed(f"http_{code}")
    raise SinkFailed(f"http_{code}", permanent=True)


def _seconds(value: str | None) -> float:
    try:
        return max(1.0, float(value or "1"))
    except ValueError:
        return 1.0
