"""MLflow's model registry over its REST API (OSS MLflow 2.x/3.x, `/api/2.0/mlflow/...`).

Only the two calls Baton makes after a sign-off: tag a model version, then point an alias at
it (mlflow/server/handlers.py `_set_model_version_tag`, `_set_registered_model_alias`; the
routes are declared in mlflow/protos/model_registry.proto). The alias goes last, so by the
time serving code resolves `models:/<name>@<alias>` the version already carries its sign-off.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

import requests

log = logging.getLogger(__name__)

SET_ALIAS = "/api/2.0/mlflow/registered-models/alias"
SET_VERSION_TAG = "/api/2.0/mlflow/model-versions/set-tag"
TIMEOUT_SECONDS = 10.0


class RegistryError(Exception):
    """A call MLflow did not accept; `transient` when trying again later may succeed."""

    def __init__(self, message: str, *, transient: bool) -> None:
        super().__init__(message)
        self.message, self.transient = message, transient


@dataclass(frozen=True)
class MlflowRegistry:
    tracking_uri: str
    token: str | None = None
    timeout: float = TIMEOUT_SECONDS

    def set_version_tag(self, name: str, version: str, key: str, value: str) -> None:
        self._post(SET_VERSION_TAG, {"name": name, "version": version, "key": key, "value": value})

    def set_alias(self, name: str, alias: str, version: str) -> None:
        self._post(SET_ALIAS, {"name": name, "alias": alias, "version": version})

    def _post(self, path: str, body: dict[str, Any]) -> None:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        log.debug("MLflow POST %s %s", path, json.dumps(body, sort_keys=True))  # never the token
        try:
            response = requests.post(
                self.tracking_uri + path, json=body, headers=headers, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise RegistryError(
                f"MLflow at {self.tracking_uri} is unreachable ({exc.__class__.__name__})",
                transient=True,
            ) from exc
        if response.status_code == 200:
            return
        raise _refusal(response)


def _refusal(response: requests.Response) -> RegistryError:
    """MLflow answers errors as {"error_code": ..., "message": ...}; the message names what."""
    try:
        body = response.json()
        code, message = str(body.get("error_code", "")), str(body.get("message", ""))
    except ValueError:
        code, message = "", ""
    status = response.status_code
    transient = status >= 500 or status == 429
    if status in (401, 403):
        what = "MLflow refused Baton's credentials (check MLFLOW_TRACKING_TOKEN)"
    else:
        what = f"MLflow answered {status}" + (f" {code}" if code else "")
        if message:
            what += f": {message[:300]}"
    return RegistryError(what, transient=transient)
