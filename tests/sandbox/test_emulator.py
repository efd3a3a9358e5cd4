"""The emulated Slack: its Web API through slack_sdk, and signed round trips through Baton."""

from __future__ import annotations

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.sandbox import Sandbox
from bot.sandbox.interactions import Interactions
from bot.sandbox.payloads import Click, state_values
from bot.sandbox.render import REQUIRED_MISSING
from bot.sandbox.ui import page_state
from bot.sandbox.workspace import SLACKBOT, Message, View, Workspace
from models.enums import Stage
from models.project import Project

DANA, LENA, GRACE = "UDANA", "ULENA", "UGRACE"
FIELDS = ("endpoint", "deployed_version", "dashboard_url", "runbook")


def client(sandbox: Sandbox, token: str | None = None) -> WebClient:
    settings = sandbox.baton.rt.settings
    assert settings.slack_bot_token is not None
    return WebClient(
        token=token or settings.slack_bot_token.get_secret_value(),
        base_url=settings.slack_api_url,
    )


def slack_error(call) -> str:
    with pytest.raises(SlackApiError) as raised:
        call()
    return str(raised.value.response["error"])


def text_of(message: Message) -> str:
    parts = [message.text]

    def walk(node: object) -> None:
        if isinstance(node, dict):
            parts.extend(v for k, v in node.items() if k == "text" and isinstance(v, str))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(message.blocks)
    return "\n".join(parts)


def modal_for(ws: Workspace, user: str) -> View:
    return ws.wait_until(lambda: (ws.modals.get(user) or [None])[-1], timeout=10)


def in_channel(ws: Workspace, channel: str, needle: str, viewer: str = DANA) -> Message:
    def found() -> Message | None:
        return next((m for m in ws.visible(channel, viewer) if needle in text_of(m)), None)

    return ws.wait_until(found, timeout=10)


# -- the Web API, as Baton's WebClient sees it ------------------------------------------------


def test_auth_test_names_the_sandbox_workspace(sandbox):
    info = client(sandbox).auth_test()
    assert (info["team_id"], info["user_id"], info["team"]) == (
        "TSANDBOX",
        "UBATON",
        "Baton sandbox",
    )


def test_a_wrong_or_missing_token_is_refused(sandbox):
    assert slack_error(lambda: client(sandbox, "xoxb-nope").auth_test()) == "invalid_auth"
    answer = requests.post(sandbox.baton.rt.settings.slack_api_url + "auth.test", timeout=5)
    assert answer.json() == {"ok": False, "error": "not_authed"}


def test_posting_to_a_person_lands_in_their_dm_and_can_be_edited(sandbox):
    web, ws = client(sandbox), sandbox.emulator.workspace
    posted = web.chat_postMessage(channel=DANA, text="hello *Dana*")
    assert posted["channel"] == "DDANA"
    web.chat_update(channel="DDANA", ts=posted["ts"], text="edited", blocks=[])
    [message] = ws.visible("DDANA", DANA)
    assert (message.text, message.edited) == ("edited", True)
    assert page_state(ws, DANA, "DDANA")["conversation"]["id"] == "DDANA"
    assert page_state(ws, LENA, "DDANA")["conversation"]["id"] != "DDANA", "not Lena's DM"


@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_slack_errors_for_what_slack_refuses(sandbox):
    web = client(sandbox)
    assert (
        slack_error(lambda: web.chat_postMessage(channel="CNOPE", text="x")) == "channel_not_found"
    )
    assert slack_error(lambda: web.chat_update(channel="CGENERAL", ts="1.0", text="x")) == (
        "message_not_found"
    )
    too_many = [{"type": "divider"}] * 51
    assert slack_error(lambda: web.chat_postMessage(channel="CGENERAL", blocks=too_many)) == (
        "invalid_blocks"
    )
    assert slack_error(lambda: web.chat_postMessage(channel="CGENERAL")) == "no_text"
    assert slack_error(lambda: web.users_info(user="UNOBODY")) == "user_not_found"
    assert slack_error(lambda: web.conversations_join(channel="CNOPE")) == "channel_not_found"
    assert slack_error(lambda: web.conversations_info(channel="CNOPE")) == "channel_not_found"
    general = web.conversations_info(channel="CGENERAL")["channel"]
    assert (general["name"], general["is_member"], general["is_private"]) == (
        "general",
        True,
        False,
    )


def test_history_returns_posts_newest_first_with_their_metadata_when_asked(sandbox):
    web = client(sandbox)
    meta = {"event_type": "baton_outbox", "event_payload": {"outbox_id": 7}}
    first = web.chat_postMessage(channel=DANA, text="first", metadata=meta)
    web.chat_postMessage(channel=DANA, text="second")
    page = web.conversations_history(channel="DDANA", include_all_metadata=True, limit=10)
    assert [m["text"] for m in page["messages"]] == ["second", "first"]
    assert page["messages"][1]["metadata"] == meta
    bare = web.conversations_history(channel="DDANA", oldest=first["ts"])
    assert [m["text"] for m in bare["messages"]] == ["second"], "oldest is exclusive"
    plain = web.conversations_history(channel="DDANA")
    assert "metadata" not in plain["messages"][1], "metadata only with include_all_metadata"
    assert slack_error(lambda: web.conversations_history(channel=DANA)) == "channel_not_found"
    bad = {"event_type": "baton_outbox", "event_payload": "7"}
    assert slack_error(lambda: web.chat_postMessage(channel=DANA, text="x", metadata=bad)) == (
        "invalid_metadata_format"
    )


def test_users_info_gives_names(sandbox):
    user = client(sandbox).users_info(user=LENA)["user"]
    assert (user["real_name"], user["profile"]["title"]) == ("Lena Fischer", "Domain expert")


def test_a_trigger_opens_one_modal_for_the_person_it_was_issued_to(sandbox):
    web, ws = client(sandbox), sandbox.emulator.workspace
    view = {"type": "modal", "title": {"type": "plain_text", "text": "T"}, "blocks": []}
    assert slack_error(lambda: web.views_open(trigger_id="made-up", view=view)) == (
        "invalid_trigger_id"
    )
    trigger = ws.issue_trigger(LENA)
    opened = web.views_open(trigger_id=trigger, view=view)["view"]
    assert ws.modals[LENA][-1].id == opened["id"]
    assert slack_error(lambda: web.views_open(trigger_id=trigger, view=view)) == (
        "invalid_trigger_id"
    )
    web.views_update(view_id=opened["id"], hash=opened["hash"], view={**view, "blocks": []})
    assert slack_error(
        lambda: web.views_update(view_id=opened["id"], hash=opened["hash"], view=view)
    ) == ("hash_conflict")


def test_home_is_one_view_per_person(sandbox):
    web, ws = client(sandbox), sandbox.emulator.workspace
    first = web.views_publish(user_id=DANA, view={"type": "home", "blocks": []})["view"]
    second = web.views_publish(user_id=DANA, view={"type": "home", "blocks": []})["view"]
    assert first["id"] == second["id"] == ws.homes[DANA].id
    assert DANA in ws.homes and LENA not in ws.homes


def test_an_unknown_response_url_is_gone(sandbox):
    url = sandbox.url + "/response/HNOPE"
    assert requests.post(url, json={"text": "x"}, timeout=5).status_code == 404


def test_the_page_is_served_and_its_actions_take_json_only(sandbox):
    page = requests.get(sandbox.url, timeout=5)
    assert page.status_code == 200 and "sandbox.js" in page.text
    form_post = requests.post(
        sandbox.url + "/ui/compose",
        data={"user": DANA, "channel": "CGENERAL", "text": "/mlops help"},
        timeout=5,
    )
    assert form_post.status_code == 400, "a foreign page's form post must not act for anyone"
    assert sandbox.emulator.workspace.visible("CGENERAL", DANA) == []


# -- signed round trips through Baton's real /slack/events -------------------------------------


def test_a_command_reply_is_only_visible_to_who_ran_it(sandbox):
    ws, slack = sandbox.emulator.workspace, sandbox.emulator.interactions
    assert slack.compose(DANA, "CGENERAL", "/mlops help").ok
    reply = in_channel(ws, "CGENERAL", "Baton commands")
    assert reply.visible_to == DANA
    assert ws.visible("CGENERAL", LENA) == []


def test_baton_refuses_a_request_signed_with_another_secret(sandbox):
    ws = sandbox.emulator.workspace
    forger = Interactions(ws, "not-the-secret", sandbox.url.removesuffix("/sandbox"), "/mlops")
    outcome = forger.compose(DANA, "CGENERAL", "/mlops help")
    assert (outcome.ok, outcome.problem) == (False, "dispatch_failed")
    [said] = ws.visible("CGENERAL", DANA)
    assert said.user == SLACKBOT and "failed with the error" in said.text


def test_project_and_role_commands_with_typed_mentions(sandbox):
    ws, slack = sandbox.emulator.workspace, sandbox.emulator.interactions
    slack.compose(GRACE, "CGENERAL", '/mlops project create pricing "Pricing <v2>"')
    created = in_channel(ws, "CGENERAL", "created", viewer=LENA)
    assert created.visible_to is None and "Pricing &lt;v2&gt;" in text_of(created)
    assert [m.user for m in ws.visible("CGENERAL", LENA)] == [GRACE, "UBATON"]
    slack.compose(GRACE, "CGENERAL", "/mlops role assign pricing ds @dana lead")
    in_channel(ws, "DDANA", "made you *lead Data scientist*")


def test_handoff_form_errors_inline_then_cards_and_approvals_move_the_stage(demo):
    ws, slack = demo.emulator.workspace, demo.emulator.interactions
    assert slack.compose(DANA, "CFRAUD", "/mlops handoff fraud-detection").ok
    form = modal_for(ws, DANA)
    empty = slack.submit(DANA, form, state_values(form, {}))
    assert empty.errors == dict.fromkeys(FIELDS, REQUIRED_MISSING), "Slack's own check"
    typed = {"endpoint": "   ", "deployed_version": "3", "dashboard_url": "d", "runbook": "r"}
    refused = slack.submit(DANA, form, state_values(form, typed))
    assert refused.errors == {
        "endpoint": "Endpoint is required",
        "dashboard_url": "Dashboard URL must be an http:// or https:// link",
    }
    assert ws.modals[DANA][-1] is form and form.values["runbook"]["value"]["value"] == "r"
    fixed = {**typed, "endpoint": "https://x", "dashboard_url": "https://grafana.example/d/f"}
    assert slack.submit(DANA, form, state_values(form, fixed)).ok
    assert ws.modals[DANA] == []
    card = in_channel(ws, "CFRAUD", "deploy → monitor")
    for lead in ("USAM", "UOMAR", "UMEI"):
        click = Click(f"handoff.decide.{_handoff_id(card)}", "handoff.approve", message=card)
        assert slack.click(lead, click).ok
    in_channel(ws, "CFRAUD", "moved from *deploy* to *monitor*")
    with demo.baton.rt.session() as s:
        stage = s.query(Project.stage).filter(Project.key == "fraud-detection").scalar()
    assert stage == Stage.MONITOR


def test_opening_home_publishes_what_waits_on_that_person(demo):
    ws, slack = demo.emulator.workspace, demo.emulator.interactions
    # The seed's deliveries may have published her home already: wait for the one this opening
    # publishes (every views.publish is a new view with a new hash).
    seeded_home = ws.read(lambda: ws.homes.get(LENA))
    assert slack.open_home(LENA).ok
    home = ws.wait_until(lambda: _republished(ws, LENA, seeded_home), timeout=10)
    texts = [b.get("text", {}).get("text", "") for b in home.payload["blocks"]]
    assert "Waiting on your sign-off (1)" in texts
    assert "churn-model" in str(home.payload)


def _republished(ws: Workspace, person: str, earlier: View | None) -> View | None:
    home = ws.homes.get(person)
    return home if home is not None and home is not earlier else None


def _handoff_id(card: Message) -> int:
    block = next(b for b in card.blocks if b["type"] == "actions")
    return int(block["block_id"].rsplit(".", 1)[1])


def test_the_page_has_an_icon_and_favicon_ico_is_served(sandbox):
    root = sandbox.url.removesuffix("/sandbox")
    icon = requests.get(f"{root}/favicon.ico", timeout=5)
    assert icon.status_code == 200
    assert icon.headers["Content-Type"].startswith("image/svg+xml")
    assert icon.content.startswith(b"<svg") and len(icon.content) < 1024
    page = requests.get(sandbox.url, timeout=5).text
    assert '<link rel="icon" href="/sandbox/static/favicon.svg"' in page
    assert requests.get(f"{root}/sandbox/static/favicon.svg", timeout=5).status_code == 200
