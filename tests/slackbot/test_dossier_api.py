"""GET /api/v1/projects/{key}/dossier: bearer token, one workspace per token, names looked up
in Slack (users.info on the fake Slack) and cached beside the ids."""

from __future__ import annotations

from models import SlackUser
from models.policy import parse_policy
from models.schemas.base import Actor
from models.services import projects
from tests.models.conftest import rows
from tests.slackbot.api_client import Api, make_token
from tests.slackbot.test_typed_fields import EVERY_TYPE, GOOD

OTHER = "TOTHER"


def test_the_dossier_names_people_from_slack_and_caches_them(bot, db, seeded, slack):
    slack.users.update({seeded.creator: "Grace Kim", seeded.ds: "Priya Raman"})
    api = Api(bot.url, make_token(db))

    page = api.get(f"/api/v1/projects/{seeded.key}/dossier")

    assert page.status_code == 200 and page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert 'filename="churn-model-dossier.html"' in page.headers["Content-Disposition"]
    assert "Grace Kim made Priya Raman Data scientist lead" in page.text
    cached = {(u.user_id, u.name) for u in rows(db, SlackUser)}
    assert {(seeded.creator, "Grace Kim"), (seeded.ds, "Priya Raman")} <= cached
    looked_up = len(slack.calls_to("users.info"))

    again = api.get(f"/api/v1/projects/{seeded.key}/dossier?format=json")

    assert again.json()["created_by"] == {"id": seeded.creator, "name": "Grace Kim"}
    # Cached names are not asked again; ids Slack does not know are asked again (stay ids).
    asked = [c.params.get("user") for c in slack.calls_to("users.info")[looked_up:]]
    assert seeded.creator not in asked and seeded.ds not in asked


def test_formats_errors_and_workspace_isolation(bot, db, seeded):
    with db.session() as s:
        projects.create_project(s, Actor(OTHER, "UEVE"), "secret-model", "Secret", "CSECRET")
    api = Api(bot.url, make_token(db))
    theirs = Api(bot.url, make_token(db, OTHER, "their-ci"))

    md = api.get(f"/api/v1/projects/{seeded.key}/dossier?format=md")
    assert md.status_code == 200 and md.text.startswith("# Evidence dossier: Churn model")
    assert api.get(f"/api/v1/projects/{seeded.key}/dossier?format=pdf").status_code == 422
    assert api.get("/api/v1/projects/secret-model/dossier").status_code == 404
    assert theirs.get(f"/api/v1/projects/{seeded.key}/dossier").status_code == 404
    assert api.get(f"/api/v1/projects/{seeded.key}/dossier", token=None).status_code == 401


def test_a_user_packet_field_reads_as_the_persons_name_beside_the_id(bot, db, seeded, slack):
    bot.baton.rt.policy = parse_policy(EVERY_TYPE, "every-type.yaml")  # "owner" is type user
    slack.users.update({"UDS": "Lena Ortiz"})
    api = Api(bot.url, make_token(db))
    body = {"project": seeded.key, "requested_by": seeded.ds, "packet": {**GOOD, "owner": "UDS"}}
    assert api.post("/api/v1/handoffs", body).status_code == 201

    page = api.get(f"/api/v1/projects/{seeded.key}/dossier").text
    md = api.get(f"/api/v1/projects/{seeded.key}/dossier?format=md").text
    as_json = api.get(f"/api/v1/projects/{seeded.key}/dossier?format=json").json()

    assert "<dt>Owner</dt><dd>Lena Ortiz (UDS)</dd>" in page
    assert "- **Owner**: Lena Ortiz (UDS)" in md
    packet = {e["label"]: e for e in as_json["handoffs"][0]["packet"]}
    assert packet["Owner"] == {"label": "Owner", "value": "UDS", "name": "Lena Ortiz"}
    assert packet["Summary"] == {"label": "Summary", "value": GOOD["summary"], "name": None}
    assert "<dt>Summary</dt><dd>Retrain on March data</dd>" in page  # other types as typed
