"""The "mlflow" outbox sink: after sign-off, tag the model version and set the production alias.

Queued by models/services/mlflow_gate.queue_promotion when a hand-off MLflow opened is
approved. The calls (bot/mlflow_registry.py) run outside the delivery transaction; what came of
them is recorded in a transaction of its own, which also tells the channel: on success, on
the first failure (Baton keeps retrying through the outbox while MLflow is unreachable or
answers 5xx) and when it gives up (MLflow refused the call, or no MLFLOW_TRACKING_URI).
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from bot.mlflow_registry import MlflowRegistry, RegistryError
from bot.runtime import Runtime
from bot.sinks import Send, SinkFailed, register
from models.notifications import SetProductionAlias
from models.outbox import OutboxMessage
from models.services import mlflow_gate

log = logging.getLogger(__name__)

NOT_CONFIGURED = "MLFLOW_TRACKING_URI is not set, so Baton cannot reach MLflow"


@register(SetProductionAlias)
def prepare(rt: Runtime, s: Session, row: OutboxMessage, note: SetProductionAlias) -> Send:
    task = mlflow_gate.promotion_task(s, row.team_id, note.promotion_id)
    settings = rt.settings
    token = settings.mlflow_tracking_token
    registry = (
        MlflowRegistry(settings.mlflow_tracking_uri, token.get_secret_value() if token else None)
        if settings.mlflow_tracking_uri
        else None
    )

    def send() -> None:
        try:
            if registry is None:
                raise RegistryError(NOT_CONFIGURED, transient=False)
            for key, value in task.tags.items():
                registry.set_version_tag(task.model_name, task.version, key, value)
            registry.set_alias(task.model_name, task.alias, task.version)
        except RegistryError as exc:
            log.warning(
                "MLflow %s v%s: setting %r failed: %s",
                task.model_name,
                task.version,
                task.alias,
                exc.message,
            )
            with rt.session() as s:
                mlflow_gate.record_promotion_failed(
                    s, task.promotion_id, exc.message, final=not exc.transient
                )
            raise SinkFailed(exc.message, permanent=not exc.transient) from None
        with rt.session() as s:
            mlflow_gate.record_promoted(s, task.promotion_id)
        log.info("MLflow %s v%s is now %r", task.model_name, task.version, task.alias)

    return send
