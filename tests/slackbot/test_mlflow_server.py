"""A real MLflow tracking server (SQLite backend, loopback) sending its webhooks to Baton.

MLflow lives in its own environment, `.venv-mlflow`, which `make test` installs: it pins
gunicorn below the version Baton serves with, so it cannot share Baton's. The test drives it
with MLflow's own client (tests/slackbot/mlflow_registry.py) exactly as a data scientist would.
Skipped only outside CI when that environment is missing; in CI a missing MLflow fails.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from models.audit import AuditEvent
from models.handoff import Handoff
from models.lineage import ModelVersion
from models.workspace import ReceivedEvent
from tests.conftest import IN_CI
from tests.processes import POLL_SECONDS, await_http, free_port, stop
from tests.slackbot.conftest import MLFLOW_SECRET as SECRET
from tests.slackbot.flow import approve_all, buttons, text_of
from tests.slackbot.test_mlflow import _in_develop, mlflow_delivery

ROOT = Path(__file__).resolve().parents[2]
MLFLOW_ENV = Path(os.environ.get("BATON_TEST_MLFLOW_ENV", ROOT / ".venv-mlflow"))
CLIENT = Path(__file__).with_name("mlflow_registry.py")
READY_POLLS = 600  # x 0.1 s: a first start migrates MLflow's database
# One server (~25 s to start) for the whole module: `make test` runs `--dist loadgroup`, which
# sends every test of a group to one xdist worker (without it the mark is ignored, and each
# worker that gets a test of the module starts a server of its own).
pytestmark = pytest.mark.xdist_group("mlflow-server")


@pytest.fixture(scope="module")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    binary = MLFLOW_ENV / "bin" / "mlflow"
    if not binary.exists():
        why = f"MLflow is not installed at {MLFLOW_ENV} (`make test` installs it)"
        if IN_CI:
            pytest.fail(why, pytrace=False)
        pytest.skip(why)
    tmp_path, port = tmp_path_factory.mktemp("mlflow"), free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_")},
        # Baton listens on loopback over plain HTTP: MLflow refuses both unless told.
        "MLFLOW_WEBHOOK_ALLOWED_SCHEMES": "http,https",
        "MLFLOW_WEBHOOK_ALLOW_PRIVATE_IPS": "true",
        "MLFLOW_WEBHOOK_CACHE_TTL": "0",  # each test adds its own webhook: list them afresh
        # Webhooks and aliases need neither: the job runner starts seven huey consumers, each
        # importing MLflow (tens of CPU seconds at the first request), telemetry calls home.
        "MLFLOW_SERVER_ENABLE_JOB_EXECUTION": "false",
        "MLFLOW_DISABLE_TELEMETRY": "true",
    }
    argv = [str(binary), "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1"]
    argv += ["--backend-store-uri", f"sqlite:///{tmp_path}/mlflow.db"]
    argv += ["--default-artifact-root", str(tmp_path / "artifacts")]
    log = (tmp_path / "mlflow.log").open("wb")
    server = subprocess.Popen(argv, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        await_http(server, f"{url}/health", tmp_path / "mlflow.log", READY_POLLS)
        yield url
    finally:
        stop(server)
        log.close()


def _registry(
    tracking: str, webhook_url: str, secret: str, model: str, alias: str = "", only: str = ""
) -> dict:
    python = MLFLOW_ENV / "bin" / "python"
    argv = [str(python), str(CLIENT), tracking, webhook_url, secret, model, alias, only]
    env = {**os.environ, "MLFLOW_DISABLE_TELEMETRY": "true"}  # a client that calls no one else
    done = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def _wait_for(db, query, count: int, timeout: float = 30.0) -> list:
    """MLflow delivers on its own thread pool: wait for Baton's rows, with a deadline."""
    deadline = time.monotonic() + timeout
    while True:
        with db.session() as s:
            found = list(s.scalars(query))
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(POLL_SECONDS)


@pytest.fixture
def model(hooked, seeded) -> str:
    name = f"churn-xgb-{uuid.uuid4().hex[:8]}"
    reply = hooked.reply(f"project link-model {seeded.key} {name}", user=seeded.creator)
    assert f"*{name}* is linked to `{seeded.key}`" in reply["text"]
    return name


def _gated(hooked, mlflow_server: str):
    """The operator's MLFLOW_TRACKING_URI: Baton calls this MLflow back after sign-off."""
    rt = hooked.baton.rt
    rt.settings = rt.settings.model_copy(update={"mlflow_tracking_uri": mlflow_server})
    return hooked


def _mlflow_deliveries(db, count: int) -> int:
    """MLflow's webhooks Baton has handled so far (waiting for `count`, with a deadline)."""
    return len(_wait_for(db, select(ReceivedEvent).where(ReceivedEvent.team_id == "mlflow"), count))


def _version_by_alias(tracking: str, model: str, alias: str) -> dict:
    answer = requests.get(
        f"{tracking}/api/2.0/mlflow/registered-models/alias",
        params={"name": model, "alias": alias},
        timeout=10,
    )
    assert answer.status_code == 200, answer.text
    return answer.json()["model_version"]


def test_challenger_is_signed_off_in_slack_then_baton_sets_champion_in_mlflow(
    hooked, slack, db, seeded, mlflow_server, model, caplog
):
    _in_develop(db, seeded)
    _gated(hooked, mlflow_server)
    # The alias right after the version, as a script would: MLflow sends the two webhooks
    # concurrently, so Baton may get the alias first. It answers 503 with Retry-After, MLflow
    # retries the same delivery, and the hand-off is requested either way.
    with caplog.at_level(logging.INFO, logger="handlers.mlflow"):
        made = _registry(
            mlflow_server, f"{hooked.url}/webhooks/mlflow", SECRET, model, "challenger"
        )
        [version] = _wait_for(db, select(ModelVersion).where(ModelVersion.model_name == model), 1)
        [handoff] = _wait_for(db, select(Handoff).where(Handoff.source == "mlflow"), 1)
    early = caplog.text.count("asked to retry")
    print(f"alias deliveries answered 503 before the version was recorded: {early}")
    assert (version.version, version.run_id, version.origin) == (
        made["version"],
        made["run_id"],
        "mlflow",
    )
    assert version.training_data == made["tags"]["training_data"]
    assert (version.data_source, version.model_source) == (
        made["tags"]["data_source"],
        made["source"],
    )
    assert (handoff.from_stage.value, handoff.to_stage.value) == ("develop", "deploy")
    assert handoff.packet["model_name"] == model
    assert handoff.packet["model_version"] == made["version"]
    assert handoff.packet["limitations"] == made["tags"]["limitations"]

    hooked.deliver()
    card = slack.last_message(seeded.channel)
    assert model in text_of(card) and buttons(card) == ["Approve", "Request changes", "Reject"]
    lineage = text_of(hooked.reply(f"lineage {seeded.key}", user=seeded.ds))
    assert f"*{model}* `{made['version']}`" in lineage and f"run {made['run_id']}" in lineage
    # The request alias promoted nothing: serving code still finds no champion.
    missing = requests.get(
        f"{mlflow_server}/api/2.0/mlflow/registered-models/alias",
        params={"name": model, "alias": "champion"},
        timeout=10,
    )
    assert missing.status_code == 400 and "champion" in missing.json()["message"]

    with caplog.at_level(logging.DEBUG, logger="bot.mlflow_registry"):
        approve_all(hooked, handoff.id, [seeded.architect, seeded.domain])  # signed clicks
    champion = _version_by_alias(mlflow_server, model, "champion")
    assert champion["version"] == made["version"]
    assert "champion" in champion["aliases"] and "challenger" in champion["aliases"]
    tags = {t["key"]: t["value"] for t in champion["tags"]}
    assert tags["baton.handoff_id"] == str(handoff.id)
    assert tags["baton.approved_by"] == f"{seeded.architect},{seeded.domain}"
    assert tags["baton.approved_at"].startswith("20")
    sent = [r.getMessage() for r in caplog.records if r.name == "bot.mlflow_registry"]
    assert [m.split()[2] for m in sent] == [
        "/api/2.0/mlflow/model-versions/set-tag",
        "/api/2.0/mlflow/model-versions/set-tag",
        "/api/2.0/mlflow/model-versions/set-tag",
        "/api/2.0/mlflow/registered-models/alias",
    ]  # the alias last: once serving sees it, the version carries its sign-off
    print("\n".join(sent))

    # MLflow tells Baton of the champion it set: recognised as signed off, never a warning.
    _mlflow_deliveries(db, 3)  # version created, challenger, champion
    hooked.deliver()
    said = [text_of(m) for m in slack.messages(seeded.channel)]
    assert any(f"*{model}* version `{made['version']}` is now `champion`" in t for t in said)
    assert not any("without sign-off" in t for t in said)
    with db.session() as s:
        actions = [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert "mlflow.alias_set" in actions and "mlflow.alias_without_signoff" not in actions


def _logged(caplog, text: str, timeout: float = 30.0) -> int:
    """MLflow delivers on its own thread: wait (with a deadline) until Baton logged `text`."""
    deadline = time.monotonic() + timeout
    while text not in caplog.text and time.monotonic() < deadline:
        time.sleep(POLL_SECONDS)
    return caplog.text.count(text)


def test_mlflow_retries_an_alias_that_came_before_its_version_and_the_retry_requests(
    hooked, db, seeded, mlflow_server, model, caplog
):
    """The race made certain: MLflow's webhook here is for the alias alone, so Baton hears
    of the alias first and answers 503 with Retry-After. The version then arrives (signed as
    MLflow signs it), and MLflow's own retry of the alias, the same delivery, requests."""
    _in_develop(db, seeded)
    webhook = f"{hooked.url}/webhooks/mlflow"
    with caplog.at_level(logging.INFO, logger="handlers.mlflow"), ThreadPoolExecutor(1) as pool:
        # The client's exit can outlast MLflow's retries: answer the first 503 while it runs.
        running = pool.submit(
            _registry, mlflow_server, webhook, SECRET, model, "challenger", "alias-only"
        )
        assert _logged(caplog, "is not recorded yet; asked to retry") >= 1
        # The model_version.created MLflow would have sent, read from MLflow itself.
        mv = requests.get(
            f"{mlflow_server}/api/2.0/mlflow/model-versions/get",
            params={"name": model, "version": "1"},
            timeout=10,
        ).json()["model_version"]
        tags = {tag["key"]: tag["value"] for tag in mv.get("tags", [])}
        data = {"name": model, "version": "1", "source": mv["source"], "run_id": mv["run_id"]}
        body, headers = mlflow_delivery("model_version", "created", {**data, "tags": tags})
        recorded = requests.post(webhook, data=body, headers=headers, timeout=10)
        assert recorded.json()["projects"][0]["outcome"] == "recorded"
        made = running.result()
        [handoff] = _wait_for(db, select(Handoff).where(Handoff.source == "mlflow"), 1)
    assert handoff.packet["model_version"] == made["version"]
    assert handoff.packet["limitations"] == made["tags"]["limitations"]
    assert _mlflow_deliveries(db, 2) == 2  # ours and the alias, once: its 503s left no receipt
    with db.session() as s:
        actions = [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.id))]
    assert "mlflow.alias_version_unknown" not in actions
    print(f"alias deliveries answered 503: {caplog.text.count('asked to retry')}")


def test_an_alias_whose_version_mlflow_never_sends_is_audited_after_its_retries(
    hooked, db, seeded, mlflow_server, model, caplog
):
    """The version's webhook lost for good: MLflow's retries are answered 503 until the
    delivery is VERSION_WAIT_SECONDS old, then Baton acknowledges it and audits why no
    hand-off was requested. Never a silent 200, never a 503 left for MLflow to give up on."""
    _in_develop(db, seeded)
    with caplog.at_level(logging.INFO, logger="handlers.mlflow"):
        webhook = f"{hooked.url}/webhooks/mlflow"
        made = _registry(mlflow_server, webhook, SECRET, model, "challenger", "alias-only")
        [event] = _wait_for(
            db, select(AuditEvent).where(AuditEvent.action == "mlflow.alias_version_unknown"), 1
        )
    assert event.detail == {"model": model, "version": made["version"]}
    retried = caplog.text.count("asked to retry")
    assert retried >= 1, "MLflow retried the 503 with the same delivery id"
    assert _mlflow_deliveries(db, 1) == 1
    with db.session() as s:
        assert s.scalars(select(Handoff).where(Handoff.source == "mlflow")).all() == []
    print(f"alias deliveries answered 503 before Baton stopped waiting: {retried}")


def test_champion_set_by_hand_in_mlflow_is_reported_in_the_channel(
    hooked, slack, db, seeded, mlflow_server, model
):
    _in_develop(db, seeded)
    _gated(hooked, mlflow_server)
    made = _registry(mlflow_server, f"{hooked.url}/webhooks/mlflow", SECRET, model, "champion")

    [event] = _wait_for(
        db, select(AuditEvent).where(AuditEvent.action == "mlflow.alias_without_signoff"), 1
    )
    assert (event.detail["model"], event.detail["version"]) == (model, made["version"])
    assert event.detail["alias"] == "champion" and event.actor == "mlflow"
    hooked.deliver()
    warning = text_of(slack.last_message(seeded.channel))
    assert f"`champion` was set on *{model}* version `{made['version']}` *without sign-off*" in (
        warning
    )
    with db.session() as s:
        assert s.scalars(select(Handoff).where(Handoff.source == "mlflow")).all() == []


def test_mlflow_signing_with_another_secret_is_refused_and_changes_nothing(
    hooked, db, seeded, mlflow_server, model, caplog
):
    before = db.dump()
    with caplog.at_level(logging.WARNING, logger="handlers.mlflow"):
        _registry(mlflow_server, f"{hooked.url}/webhooks/mlflow", "not-the-secret", model)
        # MLflow sends on its own thread: wait (with a deadline) until Baton has refused it.
        deadline = time.monotonic() + 30
        while "refused: signature mismatch" not in caplog.text and time.monotonic() < deadline:
            time.sleep(POLL_SECONDS)
    assert "MLflow webhook refused: signature mismatch" in caplog.text
    assert db.dump() == before
