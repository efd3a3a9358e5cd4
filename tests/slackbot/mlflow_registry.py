"""What a data scientist does in MLflow, through MLflow's own client: run by the MLflow test
in MLflow's environment (`.venv-mlflow`), never imported by Baton or its tests.

    python mlflow_registry.py TRACKING_URI BATON_WEBHOOK_URL SECRET MODEL [ALIAS [alias-only]]

Creates a webhook with the secret, registers MODEL, creates a run and a version from it with
the hand-off packet as tags, then sets ALIAS on that version. Prints one JSON line of what it
made, for the test to compare with what Baton recorded. With `alias-only` the webhook is for
the alias event alone, so Baton hears of the alias but never of the version.
"""

from __future__ import annotations

import json
import sys

from mlflow import MlflowClient
from mlflow.entities.webhook import WebhookEvent

TAGS = {
    "training_data": "customers@2026-02-28",
    "data_source": "s3://lake/customers/2026-02-28",
    "evaluation": "AUC 0.87 on the March holdout",
    "limitations": "New markets under-represented",
}


def main(
    tracking_uri: str, webhook_url: str, secret: str, model: str, alias: str = "", only: str = ""
) -> None:
    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    events = [] if only == "alias-only" else [WebhookEvent("model_version", "created")]
    if alias:
        events.append(WebhookEvent("model_version_alias", "created"))
    hook = client.create_webhook(
        name=f"baton-{model}", url=webhook_url, events=events, secret=secret
    )
    client.create_registered_model(model)
    run = client.create_run(experiment_id="0")
    version = client.create_model_version(
        model, source=f"runs:/{run.info.run_id}/model", run_id=run.info.run_id, tags=TAGS
    )
    if alias:
        client.set_registered_model_alias(model, alias, version.version)
    made = {"webhook": hook.webhook_id, "version": version.version, "run_id": run.info.run_id}
    print(json.dumps({**made, "source": version.source, "tags": TAGS}))


if __name__ == "__main__":
    main(*sys.argv[1:])
