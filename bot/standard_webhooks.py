"""Standard Webhooks signatures (standardwebhooks.com), one copy for both directions: Baton
signs the webhooks it sends with it (bot/webhook_sink.py) and checks MLflow's against it
(handlers/mlflow.py); MLflow signs the same way (mlflow/webhooks/delivery.py)."""

from __future__ import annotations

import base64
import hashlib
import hmac

VERSION = "v1"


def signature(secret: str, delivery_id: str, timestamp: int | str, body: bytes) -> str:
    """`v1,<base64 HMAC-SHA256(secret, "<delivery id>.<timestamp>.<body>")>`."""
    signed = f"{delivery_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    return f"{VERSION},{base64.b64encode(digest).decode()}"
