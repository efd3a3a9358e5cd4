"""MLflow's model registry talking to Baton: deliveries signed exactly as MLflow signs them,
versions entering the lineage, the challenger alias requesting develop → deploy, and the
champion alias reported when it was set without sign-off."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
import requests
from sqlalchemy import select

from bot.db import make_engine, make_session_factory
from handlers.mlflow import RETRY_AFTER_SECONDS, VERSION_WAIT_SECONDS
from models.audit import AuditEvent
from models.enums import Decision, Stage
from models.gates import MlflowPromotion
from models.handoff import Handoff
from models.integrations import ModelLink
from models.lineage import ModelVersion
from models.policy import DEFAULT_POLICY
from models.schemas.base import Actor
from models.services import decisions, handoffs, integrations, projects
from models.workspace import ReceivedEvent
from tests.slackbot.conftest import MLFLOW_SECRET as SECRET
from tests.slackbot.flow import PACKETS, buttons, text_of
from tests.slackbot.harness import HOME

MODEL = "churn-xgb"
TAGS = {
    "training_data": "customers@2026-02-28",
    "data_source": "s3://lake/customers/2026-02-28",
    "evaluation": "AUC 0.87 on the March holdout",
    "limitations": "New markets under-represented",
}


def mlflow_delivery(
    entity: str, action: str, data: dict[str, Any], *, secret: str = SECRET, at: float | None = None
) -> tuple[bytes, dict[str, str]]:
    """Body and headers as mlflow/webhooks/delivery.py builds them (_send_webhook_request and
    _generate_hmac_signature): a JSON envelope, a UUID delivery id, Unix seconds, and
    v1,base64(HMAC-SHA256(secret, "<delivery id>.<timestamp>.<payload>"))."""
    payload = json.dumps(
        {
            "entity": entity,
            "action": action,
            "timestamp": datetime.now(UTC).isoformat(),
            "data": data,
        }
    )
    delivery_id, stamp = str(uuid.uuid4()), str(int(time.time() if at is None else at))
    signed = f"{delivery_id}.{stamp}.{payload}".encode()
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    headers = {
        "Content-Type": "application/json",
        "X-MLflow-Delivery-Id": delivery_id,
        "X-MLflow-Timestamp": stamp,
        "X-MLflow-Signature": f"v1,{base64.b64encode(digest).decode()}",
    }
    return payload.encode(), headers


def created(version: str = "3", tags: dict[str, str] | None = None, name: str = MODEL) -> Any:
    data = {
        "name": name,
        "version": version,
        "source": f"models:/m-{version}",
        "run_id": f"run{version}abc",
        "tags": TAGS if tags is None else tags,
        "description": None,
    }
    return mlflow_delivery("model_version", "created", data)


def aliased(version: str = "3", alias: str = "challenger", at: float | None = None) -> Any:
    data = {"name": MODEL, "alias": alias, "version": version}
    return mlflow_delivery("model_version_alias", "created", data, at=at)


def send(bot, delivery: tuple[bytes, dict[str, str]]) -> requests.Response:
    body, headers = delivery
    return requests.post(f"{bot.url}/webhooks/mlflow", data=body, headers=headers, timeout=10)


@pytest.fixture
def linked(hooked, seeded):
    reply = hooked.reply(f"project link-model {seeded.key} {MODEL}", user=seeded.creator)
    assert f"*{MODEL}* is linked to `{seeded.key}`" in reply["text"]
    return seeded


def _in_develop(db, seeded) -> None:
    with db.session() as s:
        view = handoffs.request_handoff(
            s, Actor(HOME, seeded.ds), seeded.key, None, PACKETS["develop"], DEFAULT_POLICY
        )
    for lead in (seeded.domain, seeded.architect):
        with db.session() as s:
            decisions.decide(s, Actor(HOME, lead), view.id, Decision.APPROVED, DEFAULT_POLICY)


def approved_version(hooked, linked, db) -> int:
    """Version 3 got the request alias and both leads approved the hand-off it opened."""
    _in_develop(db, linked)
    send(hooked, created())
    send(hooked, aliased())
    (handoff,) = _mlflow_handoffs(db)
    for lead in (linked.architect, linked.domain):  # for the ds, in whose name MLflow asked
        with db.session() as s:
            decisions.decide(s, Actor(HOME, lead), handoff.id, Decision.APPROVED, DEFAULT_POLICY)
    return handoff.id


def _versions(db) -> list[tuple[str, str, str, str | None]]:
    with db.session() as s:
        rows = s.scalars(select(ModelVersion).order_by(ModelVersion.id))
        return [(m.model_name, m.version, m.origin, m.run_id) for m in rows]


def _mlflow_handoffs(db) -> list[Handoff]:
    with db.session() as s:
        return list(s.scalars(select(Handoff).where(Handoff.source == "mlflow")))


# -- verifying deliveries --------------------------------------------------------------------


def test_a_signed_new_version_enters_the_lineage_once(hooked, linked, db):
    response = send(hooked, created())
    assert response.status_code == 200
    assert response.json()["projects"] == [
        {"project": linked.key, "outcome": "recorded", "note": None}
    ]
    assert send(hooked, created()).json()["projects"][0]["outcome"] == "already_recorded"
    assert _versions(db) == [(MODEL, "3", "mlflow", "run3abc")]
    lineage = text_of(hooked.reply(f"lineage {linked.key}", user=linked.ds))
    assert f"*{MODEL}* `3` · data customers@2026-02-28 from s3://lake/customers" in lineage
    assert "via mlflow" in lineage and "run run3abc" in lineage and "model models:/m-3" in lineage


def test_a_replayed_delivery_is_handled_once(hooked, linked, db):
    delivery = created()
    assert send(hooked, delivery).json()["status"] == "handled"
    assert send(hooked, delivery).json()["status"] == "duplicate"


def test_a_delivery_signed_four_minutes_ago_is_still_accepted(hooked, linked, db):
    data = {"name": MODEL, "version": "7", "source": "models:/m-7", "run_id": None, "tags": {}}
    late = mlflow_delivery("model_version", "created", data, at=time.time() - 240)
    assert send(hooked, late).json()["status"] == "handled"
    assert _versions(db) == [(MODEL, "7", "mlflow", None)]


@pytest.mark.parametrize("forgery", ["stale", "future", "wrong-secret", "altered", "unsigned"])
def test_forged_or_stale_deliveries_are_refused(hooked, linked, db, forgery):
    before = db.dump()
    if forgery in ("stale", "future"):
        shift = -310 if forgery == "stale" else 310  # the window is 300 s either way
        body, headers = mlflow_delivery("model_version", "created", {}, at=time.time() + shift)
    elif forgery == "wrong-secret":
        body, headers = mlflow_delivery("model_version", "created", {}, secret="guess")
    else:
        body, headers = created()
        if forgery == "altered":
            body = body.replace(b'"3"', b'"4"')
        else:
            del headers["X-MLflow-Signature"]
    response = send(hooked, (body, headers))
    assert response.status_code == 401 and response.json() == {"error": "unauthorized"}
    assert db.dump() == before


def test_without_a_configured_secret_every_delivery_is_refused(bot, seeded, db, caplog):
    bot.reply(f"project link-model {seeded.key} {MODEL}", user=seeded.creator)
    before = db.dump()
    deliveries = {
        "version created": created(),
        "alias set": aliased(),
        "other event": mlflow_delivery("registered_model", "created", {"name": MODEL}),
        "unsigned": (b"{}", {"Content-Type": "application/json"}),
        "not json": (b"{not json", {"Content-Type": "application/json"}),
    }
    for kind, delivery in deliveries.items():
        caplog.clear()
        with caplog.at_level(logging.ERROR, logger="handlers.mlflow"):
            response = send(bot, delivery)
        assert response.status_code == 503, kind  # MLflow retries once the secret is set
        assert "MLFLOW_WEBHOOK_SECRET is not set" in caplog.text, kind
        assert SECRET not in caplog.text
    assert db.dump() == before


def test_unknown_models_and_events_are_acknowledged_and_logged(hooked, linked, db, caplog):
    with caplog.at_level(logging.INFO, logger="handlers.mlflow"):
        other = send(hooked, created(name="fraud-gbm"))
    assert other.status_code == 200 and other.json()["status"] == "ignored"
    assert "'fraud-gbm' is not linked to a project" in caplog.text
    event = send(hooked, mlflow_delivery("registered_model", "created", {"name": MODEL}))
    assert event.status_code == 200 and event.json()["status"] == "ignored"
    garbled = send(hooked, mlflow_delivery("model_version", "created", {"name": MODEL}))
    assert garbled.status_code == 400
    assert _versions(db) == []


# -- the request alias (challenger) and the production alias (champion) ----------------------


def test_the_request_alias_requests_develop_to_deploy(hooked, slack, linked, db):
    _in_develop(db, linked)
    assert send(hooked, created()).status_code == 200
    response = send(hooked, aliased())
    assert response.status_code == 200
    (outcome,) = response.json()["projects"]
    assert outcome["outcome"] == "requested"
    hooked.deliver()
    card = slack.last_message(linked.channel)
    assert buttons(card) == ["Approve", "Request changes", "Reject"]
    assert "New markets under-represented" in text_of(card) and MODEL in text_of(card)
    (handoff,) = _mlflow_handoffs(db)
    assert (handoff.from_stage, handoff.to_stage) == (Stage.DEVELOP, Stage.DEPLOY)
    assert handoff.requested_by == linked.ds
    assert handoff.packet["model_version"] == "3"
    assert handoff.packet["training_data"] == TAGS["training_data"]
    with db.session() as s:
        (promotion,) = s.scalars(select(MlflowPromotion))
        owed = (promotion.handoff_id, promotion.model_name, promotion.version, promotion.alias)
    assert owed == (handoff.id, MODEL, "3", "champion")


def _receipts(db, delivery: tuple[bytes, dict[str, str]]) -> int:
    key = f"mlflow:{delivery[1]['X-MLflow-Delivery-Id']}"
    with db.session() as s:
        return len(s.scalars(select(ReceivedEvent).where(ReceivedEvent.event_id == key)).all())


def test_an_alias_ahead_of_its_version_is_asked_again_and_then_requested_once(
    hooked, slack, linked, db, caplog
):
    """MLflow sends both events at once: the alias may come first. It is answered 503 with
    Retry-After and leaves no trace, so MLflow's retry (the same delivery) is acted on."""
    _in_develop(db, linked)
    alias = aliased()
    before = db.dump()
    with caplog.at_level(logging.INFO):
        early = send(hooked, alias)
    assert early.status_code == 503
    assert early.headers["Retry-After"] == str(RETRY_AFTER_SECONDS)
    assert early.json() == {
        "error": "version 3 of 'churn-xgb' is not recorded yet: deliver this alias again once it is"
    }
    assert db.dump() == before  # no receipt, no audit, no hand-off
    assert _receipts(db, alias) == 0
    assert not [r for r in caplog.records if r.exc_info or r.levelno >= logging.ERROR]
    assert "Traceback" not in caplog.text

    assert send(hooked, created()).json()["status"] == "handled"
    retried = send(hooked, alias)  # MLflow resends the very same request
    assert retried.status_code == 200 and retried.json()["status"] == "handled"
    assert retried.json()["projects"][0]["outcome"] == "requested"
    assert _receipts(db, alias) == 1
    (handoff,) = _mlflow_handoffs(db)
    assert handoff.packet["limitations"] == TAGS["limitations"]  # filled from the version

    again = send(hooked, alias)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    assert len(_mlflow_handoffs(db)) == 1
    hooked.deliver()
    cards = [m for m in slack.messages(linked.channel) if buttons(m)]
    assert len(cards) == 1, "one hand-off card for one alias, however often it was delivered"


def test_an_alias_whose_version_never_came_is_audited_and_not_requested(hooked, linked, db, caplog):
    """Once the delivery is VERSION_WAIT_SECONDS old Baton stops asking MLflow to retry: the
    version's own delivery was lost. Nothing fills the packet, so nothing is requested, and
    the audit trail says why instead of a silent 200."""
    _in_develop(db, linked)
    alias = aliased(at=time.time() - VERSION_WAIT_SECONDS - 1)
    with caplog.at_level(logging.WARNING, logger="models.services.integrations"):
        late = send(hooked, alias)
    assert late.status_code == 200 and late.json()["status"] == "handled"
    (outcome,) = late.json()["projects"]
    assert outcome["outcome"] == "not_requested"
    assert "never announced version 3 of 'churn-xgb'" in outcome["note"]
    assert "the version was never announced" in caplog.text
    assert _mlflow_handoffs(db) == []
    with db.session() as s:
        (event,) = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "mlflow.alias_version_unknown")
        )
        assert (event.actor, event.detail) == ("mlflow", {"model": MODEL, "version": "3"})
    history = text_of(hooked.answer(f"history {linked.key}", user=linked.ds))
    assert "MLflow asked for sign-off of churn-xgb version 3, a version it never announced" in (
        history
    )
    assert send(hooked, alias).json()["status"] == "duplicate"


def test_a_project_linked_after_the_version_came_does_not_hold_the_others_back(hooked, linked, db):
    """The version's delivery came (one project recorded it); a workspace that linked the
    model since never will: it is audited as not requested, the others get their hand-off."""
    _in_develop(db, linked)
    send(hooked, created())
    with db.session() as s:
        other = Actor("TOTHER", "UOTHER")
        projects.create_project(s, other, "fraud-lab", None, "COTHER")
        integrations.link_model(s, other, "fraud-lab", MODEL)
    response = send(hooked, aliased())  # young, yet not asked to wait: the version came
    assert response.status_code == 200
    outcomes = {o["project"]: o["outcome"] for o in response.json()["projects"]}
    assert outcomes == {linked.key: "requested", "fraud-lab": "not_requested"}
    assert len(_mlflow_handoffs(db)) == 1
    with db.session() as s:
        audited = s.scalars(
            select(AuditEvent.team_id).where(AuditEvent.action == "mlflow.alias_version_unknown")
        ).all()
    assert audited == ["TOTHER"]


def test_an_alias_for_an_unlinked_model_is_not_held_back(hooked, linked, db):
    """Only a linked model waits for its version: another model's alias is acknowledged."""
    data = {"name": "fraud-gbm", "alias": "challenger", "version": "1"}
    other = send(hooked, mlflow_delivery("model_version_alias", "created", data))
    assert other.status_code == 200 and other.json()["status"] == "ignored"
    assert "'fraud-gbm' is not linked to a project" in other.json()["note"]


def test_an_incomplete_packet_is_acknowledged_with_a_note(hooked, linked, db, caplog):
    _in_develop(db, linked)
    send(hooked, created(tags={"training_data": "customers@2026-02-28"}))
    with caplog.at_level(logging.INFO, logger="models.services.integrations"):
        response = send(hooked, aliased())
    assert response.status_code == 200
    (outcome,) = response.json()["projects"]
    assert outcome["outcome"] == "not_requested"
    assert "data_source, evaluation, limitations" in outcome["note"]
    assert "packet is incomplete" in caplog.text
    assert _mlflow_handoffs(db) == []


def test_other_aliases_and_the_wrong_stage_request_nothing(hooked, linked, db):
    send(hooked, created())
    staging = send(hooked, aliased(alias="staging"))
    note = staging.json()["note"]
    assert staging.json()["status"] == "ignored"
    assert "neither 'challenger' nor 'champion'" in note
    in_manage = send(hooked, aliased())  # the project is still in manage
    assert in_manage.status_code == 200
    assert "no hand-off to deploy" in in_manage.json()["projects"][0]["note"]
    assert _mlflow_handoffs(db) == []


def test_champion_set_without_sign_off_is_reported_and_audited(hooked, slack, linked, db):
    _in_develop(db, linked)
    send(hooked, created())
    response = send(hooked, aliased(alias="champion"))
    assert response.status_code == 200
    assert response.json()["projects"] == [
        {"project": linked.key, "outcome": "unsigned", "note": "no approved hand-off"}
    ]
    assert _mlflow_handoffs(db) == []  # the production alias never requests a hand-off
    hooked.deliver()
    warning = text_of(slack.last_message(linked.channel))
    assert "`champion` was set on *churn-xgb* version `3` *without sign-off*" in warning
    history = text_of(hooked.answer(f"history {linked.key}", user=linked.ds))
    assert "MLflow moved the alias champion to churn-xgb version 3 without a sign-off" in history


def test_champion_on_a_signed_off_version_is_not_reported(hooked, slack, linked, db):
    handoff_id = approved_version(hooked, linked, db)
    # Another version promoted by hand is still reported; the approved one is not.
    send(hooked, created(version="4"))
    other = send(hooked, aliased(version="4", alias="champion"))
    assert other.json()["projects"][0]["outcome"] == "unsigned"
    ours = send(hooked, aliased(alias="champion"))
    assert ours.json()["projects"] == [
        {
            "project": linked.key,
            "outcome": "signed_off",
            "note": f"signed off in hand-off {handoff_id}",
        }
    ]
    with db.session() as s:
        unsigned = s.scalars(
            select(AuditEvent).where(AuditEvent.action == "mlflow.alias_without_signoff")
        ).all()
    assert [e.detail["version"] for e in unsigned] == ["4"]


# -- linking ---------------------------------------------------------------------------------


def test_only_project_managers_link_models_and_a_model_feeds_one_project(hooked, seeded, db):
    refused = hooked.reply(f"project link-model {seeded.key} {MODEL}", user=seeded.intern)
    assert "Only the creator of 'churn-model'" in text_of(refused)
    linked = hooked.reply(f"project link-model {seeded.key} {MODEL}", user=seeded.architect)
    assert text_of(linked).startswith(f"MLflow model *{MODEL}* is linked to `{seeded.key}`")
    with db.session() as s:
        links = s.execute(select(ModelLink.registered_model, ModelLink.created_by)).all()
    assert [tuple(link) for link in links] == [(MODEL, seeded.architect)]  # the lead's own link
    again = hooked.reply(f"project link-model {seeded.key} {MODEL}", user=seeded.creator)
    assert "is linked to" in again["text"]
    hooked.reply("project create fraud-model", user=seeded.creator)
    taken = hooked.reply(f"project link-model fraud-model {MODEL}", user=seeded.creator)
    assert "already linked to 'churn-model'" in text_of(taken)
    history = text_of(hooked.answer(f"history {seeded.key}", user=seeded.ds))
    assert history.count(f"linked churn-model to the MLflow model {MODEL}") == 1


def test_a_database_outage_asks_mlflow_to_retry(hooked, linked, db, tmp_path):
    healthy = hooked.baton.rt.sessions
    hooked.baton.rt.sessions = make_session_factory(make_engine(f"sqlite:///{tmp_path}/x/y.db"))
    delivery = created()
    try:
        assert send(hooked, delivery).status_code == 503  # MLflow retries 5xx
    finally:
        hooked.baton.rt.sessions = healthy
    assert send(hooked, delivery).json()["status"] == "handled"  # the retry is not a replay
