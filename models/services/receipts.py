"""Deliveries already handled, so a redelivery counts once: Slack's Events API retries (keyed
by event_id) and MLflow's webhook replays (keyed by delivery id), one table and one rule."""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from models.inserts import insert_or_ignore
from models.workspace import ReceivedEvent

KEY_MAX = 64  # received_events.event_id


def first_receipt(s: Session, key: str, team_id: str) -> bool:
    """True the first time `key` arrives; False for every later delivery of it.

    Insert-or-ignore, so two replicas given the same delivery at once cannot both see True.
    A key longer than the column is stored as its hash (MLflow ids are free text)."""
    if len(key) > KEY_MAX:
        prefix = key.split(":", 1)[0] + ":" if ":" in key else ""
        key = prefix + hashlib.sha256(key.encode()).hexdigest()[: KEY_MAX - len(prefix)]
    values = {"event_id": key, "team_id": team_id}
    landed = s.execute(
        insert_or_ignore(s, ReceivedEvent, values, ["event_id"]).returning(ReceivedEvent.event_id)
    )
    return landed.scalar_one_or_none() is not None
