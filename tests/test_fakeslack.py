"""The fake Slack Web API, driven by slack_sdk's real WebClient over loopback HTTP."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import requests
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RateLimitErrorRetryHandler
from slack_sdk.http_retry.builtin_handlers import ServerErrorRetryHandler
from slack_sdk.http_retry.builtin_interval_calculators import FixedValueRetryIntervalCalculator
from slack_sdk.webhook import WebhookClient

from tests.fakeslack import FakeSlack

TOKEN = "xoxb-valid"
SECTION = [{"type": "section", "text": {"type": "mrkdwn", "text": "*churn-model*"}}]
MODAL = {"type": "modal", "title": {"type": "plain_text", "text": "Request changes"}, "blocks": []}
HOME = {"type": "home", "blocks": SECTION}


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def fake(clock: Clock) -> Iterator[FakeSlack]:
    with FakeSlack(token=TOKEN, users={"U123ANN": "ann"}, clock=clock) as slack:
        yield slack


@pytest.fixture
def client(fake: FakeSlack) -> WebClient:
    return WebClient(token=TOKEN, base_url=fake.base_url, retry_handlers=[])


def error_of(call: Any) -> SlackApiError:
    with pytest.raises(SlackApiError) as raised:
        call()
    return raised.value


# -- the server and auth -------------------------------------------------------------------------
def test_it_listens_on_loopback_until_stopped() -> None:
    slack = FakeSlack(token=TOKEN).start()
    assert slack.base_url.startswith("http://127.0.0.1:")
    assert slack.base_url.endswith("/api/")
    assert WebClient(token=TOKEN, base_url=slack.base_url).auth_test()["ok"]
    slack.stop()
    with pytest.raises(OSError):
        WebClient(token=TOKEN, base_url=slack.base_url, retry_handlers=[]).auth_test()


def test_auth_test_reports_the_configured_workspace(fake: FakeSlack, client: WebClient) -> None:
    info = client.auth_test()
    assert (info["team_id"], info["user_id"], info["bot_id"]) == ("T_HOME", "U_BATON", "B_BATON")


def test_a_wrong_or_missing_token_is_refused(fake: FakeSlack) -> None:
    wrong = WebClient(token="xoxb-wrong", base_url=fake.base_url)
    missing = WebClient(base_url=fake.base_url)
    assert error_of(lambda: wrong.chat_postMessage(channel="C1", text="x")).response["error"] == (
        "invalid_auth"
    )
    assert error_of(missing.auth_test).response["error"] == "not_authed"
    assert fake.messages() == []


def test_unknown_methods_are_refused(client: WebClient) -> None:
    assert error_of(lambda: client.api_call("chat.teleport")).response["error"] == "unknown_method"


# -- chat.* --------------------------------------------------------------------------------------
def test_posted_messages_are_kept_with_increasing_ts(fake: FakeSlack, client: WebClient) -> None:
    first = client.chat_postMessage(channel="C1", text="hand-off", blocks=SECTION)
    reply = client.chat_postMessage(channel="C1", text="reply", thread_ts=first["ts"])
    assert abs(float(first["ts"]) - time.time()) < 60, "a ts is the time of posting"
    assert float(reply["ts"]) > float(first["ts"])
    assert [m["text"] for m in fake.messages("C1")] == ["hand-off", "reply"]
    assert fake.messages("C1")[0]["blocks"] == SECTION
    assert fake.last_message("C1")["thread_ts"] == first["ts"]


def test_posting_to_a_user_lands_in_their_dm(fake: FakeSlack, client: WebClient) -> None:
    posted = client.chat_postMessage(channel="U123ANN", text="you are the lead")
    opened = client.conversations_open(users=["U123ANN"])
    assert posted["channel"] == opened["channel"]["id"] == fake.dm_channel("U123ANN")
    assert posted["channel"].startswith("D")
    assert fake.last_message("U123ANN")["text"] == "you are the lead"


def test_update_changes_the_message_in_place(fake: FakeSlack, client: WebClient) -> None:
    ts = client.chat_postMessage(channel="C1", text="pending", blocks=SECTION)["ts"]
    client.chat_update(channel="C1", ts=ts, text="approved")
    assert [(m["ts"], m["text"], m["blocks"]) for m in fake.messages("C1")] == [
        (ts, "approved", SECTION)
    ]
    missing = error_of(lambda: client.chat_update(channel="C1", ts="1.000000", text="x"))
    assert missing.response["error"] == "message_not_found"


def test_delete_removes_the_message(fake: FakeSlack, client: WebClient) -> None:
    ts = client.chat_postMessage(channel="C1", text="oops")["ts"]
    client.chat_delete(channel="C1", ts=ts)
    assert fake.messages("C1") == []
    assert error_of(lambda: client.chat_delete(channel="C1", ts=ts)).response["error"] == (
        "message_not_found"
    )


def test_ephemeral_messages_are_kept_per_user(fake: FakeSlack, client: WebClient) -> None:
    sent = client.chat_postEphemeral(channel="C1", user="U123ANN", text="only the lead can")
    client.chat_postEphemeral(channel="C1", user="U999BOB", text="hi bob")
    assert sent["message_ts"]
    assert fake.last_ephemeral("U123ANN")["text"] == "only the lead can"
    assert len(fake.ephemerals()) == 2
    with pytest.raises(LookupError):
        fake.last_ephemeral("U000NOBODY")


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"channel": "C1", "text": ""}, "no_text"),
        ({"channel": "C1", "text": "t", "blocks": [{"type": "divider"}] * 51}, "invalid_blocks"),
        ({"channel": "", "text": "t"}, "channel_not_found"),
    ],
)
@pytest.mark.filterwarnings("ignore:The top-level `text` argument is missing")
def test_messages_slack_would_refuse(client: WebClient, kwargs: dict[str, Any], error: str) -> None:
    assert error_of(lambda: client.chat_postMessage(**kwargs)).response["error"] == error


# -- views.* -------------------------------------------------------------------------------------
def test_a_modal_needs_a_fresh_trigger(fake: FakeSlack, client: WebClient) -> None:
    opened = client.views_open(trigger_id="trig-1", view=MODAL)
    assert opened["view"]["id"].startswith("V")
    assert error_of(lambda: client.views_open(trigger_id="", view=MODAL)).response["error"] == (
        "invalid_arguments"
    )
    reused = error_of(lambda: client.views_open(trigger_id="trig-1", view=MODAL))
    assert reused.response["error"] == "exchanged_trigger_id"
    assert [v["title"]["text"] for v in fake.views("modal")] == ["Request changes"]


def test_views_update_and_push(fake: FakeSlack, client: WebClient) -> None:
    view = client.views_open(trigger_id="trig-1", view=MODAL)["view"]
    renamed = {**MODAL, "title": {"type": "plain_text", "text": "Thanks"}}
    client.views_update(view_id=view["id"], hash=view["hash"], view=renamed)
    stale = error_of(lambda: client.views_update(view_id=view["id"], hash=view["hash"], view=MODAL))
    assert stale.response["error"] == "hash_conflict"
    assert error_of(lambda: client.views_update(view_id="V404", view=MODAL)).response["error"] == (
        "not_found"
    )
    client.views_push(trigger_id="trig-2", view=MODAL)
    assert [v["title"]["text"] for v in fake.views("modal")] == ["Thanks", "Request changes"]


def test_home_is_published_per_user_under_one_id(fake: FakeSlack, client: WebClient) -> None:
    first = client.views_publish(user_id="U123ANN", view=HOME)["view"]
    again = client.views_publish(user_id="U123ANN", view={"type": "home", "blocks": []})["view"]
    assert first["id"] == again["id"]
    assert fake.home("U123ANN")["blocks"] == []
    assert len(fake.views("home")) == 1
    with pytest.raises(LookupError):
        fake.home("U999BOB")


# -- users.*, conversations.join -----------------------------------------------------------------
def test_users_info_knows_the_configured_people(client: WebClient) -> None:
    assert client.users_info(user="U123ANN")["user"]["name"] == "ann"
    assert error_of(lambda: client.users_info(user="U404")).response["error"] == "user_not_found"


def test_join_and_open_conversations(client: WebClient) -> None:
    assert client.conversations_join(channel="C1")["channel"]["id"] == "C1"
    group = client.conversations_open(users="U1AA,U2BB")["channel"]
    assert group["id"] == client.conversations_open(users=["U2BB", "U1AA"])["channel"]["id"]


def test_conversations_info_hides_a_private_channel_the_bot_is_not_in(
    fake: FakeSlack, client: WebClient
) -> None:
    fake.channels["CLOBBY"] = {"name": "lobby", "member": False}
    fake.channels["CSECRET"] = {"name": "secret", "private": True, "member": False}
    fake.channels["CTEAM"] = {"name": "team", "private": True}
    lobby = client.conversations_info(channel="CLOBBY")["channel"]
    assert (lobby["name"], lobby["is_member"], lobby["is_private"]) == ("lobby", False, False)
    assert client.conversations_info(channel="CTEAM")["channel"]["is_member"] is True
    assert client.conversations_info(channel="CANY")["channel"]["is_member"] is True
    for hidden in ("CSECRET", "U123ANN"):
        refused = error_of(lambda c=hidden: client.conversations_info(channel=c))
        assert refused.response["error"] == "channel_not_found"


# -- encodings slack_sdk and others use ----------------------------------------------------------
def test_form_bodies_with_json_strings_are_decoded(fake: FakeSlack, client: WebClient) -> None:
    client.api_call("chat.postMessage", params={"channel": "C1", "blocks": json.dumps(SECTION)})
    assert fake.last_message("C1")["blocks"] == SECTION
    assert (
        fake.calls_to("chat.postMessage")[0]
        .headers["Content-Type"]
        .startswith("application/x-www-form-urlencoded")
    )


def test_raw_form_views_and_get_queries_work(fake: FakeSlack) -> None:
    auth = {"Authorization": f"Bearer {TOKEN}"}
    form = {"trigger_id": "t1", "view": json.dumps(MODAL)}
    opened = requests.post(fake.base_url + "views.open", data=form, headers=auth, timeout=5)
    looked_up = requests.get(fake.base_url + "users.info?user=U123ANN", headers=auth, timeout=5)
    assert opened.json()["ok"] is True
    assert fake.views("modal")[0]["title"] == MODAL["title"]
    assert looked_up.json()["user"]["name"] == "ann"


def test_a_broken_json_body_is_refused(fake: FakeSlack) -> None:
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    answer = requests.post(fake.base_url + "chat.postMessage", data="{", headers=headers, timeout=5)
    assert answer.json() == {"ok": False, "error": "invalid_json"}


def test_every_call_is_recorded(fake: FakeSlack, client: WebClient) -> None:
    before = time.time()
    client.chat_postMessage(channel="C1", text="hi")
    [call] = fake.calls_to("chat.postMessage")
    assert call.params == {"channel": "C1", "text": "hi"}
    assert call.headers["Authorization"] == f"Bearer {TOKEN}"
    assert call.headers["Content-Type"].startswith("application/json")
    assert before <= call.timestamp <= time.time()
    assert (call.status, call.response["ok"]) == (200, True)
    assert [c.method for c in fake.calls] == ["chat.postMessage"]


# -- response_url --------------------------------------------------------------------------------
def test_response_url_ephemeral_and_in_channel(fake: FakeSlack) -> None:
    url = fake.response_url("cmd-1", user="U123ANN", channel="C1")
    WebhookClient(url).send(text="only you see this")
    WebhookClient(url).send(text="everyone sees this", response_type="in_channel")
    assert fake.last_ephemeral("U123ANN")["text"] == "only you see this"
    assert fake.last_message("C1")["text"] == "everyone sees this"
    assert [r["url"] for r in fake.responses()] == ["cmd-1", "cmd-1"]


def test_response_url_replace_and_delete_original(fake: FakeSlack, client: WebClient) -> None:
    ts = client.chat_postMessage(channel="C1", text="Approve?", blocks=SECTION)["ts"]
    url = fake.response_url("click-1", user="U123ANN", channel="C1", message_ts=ts)
    WebhookClient(url).send(text="Approved by ann", replace_original=True)
    assert [m["text"] for m in fake.messages("C1")] == ["Approved by ann"]
    WebhookClient(url).send_dict({"delete_original": True})
    assert fake.messages("C1") == []


def test_an_unbound_response_url_replaces_its_own_last_reply(fake: FakeSlack) -> None:
    url = fake.response_url("cmd-2")
    WebhookClient(url).send(text="working…")
    WebhookClient(url).send(text="done", replace_original=True)
    assert [e["text"] for e in fake.ephemerals()] == ["done"]
    assert len(fake.responses()) == 2


# -- waiting and resetting -----------------------------------------------------------------------
def test_wait_for_wakes_on_the_call(fake: FakeSlack, client: WebClient) -> None:
    poster = threading.Thread(target=lambda: client.chat_postMessage(channel="C1", text="later"))
    poster.start()
    [message] = fake.wait_for(lambda: fake.messages("C1"))
    poster.join()
    assert message["text"] == "later"
    with pytest.raises(TimeoutError):
        fake.wait_for(lambda: fake.messages("C_NEVER"), timeout=0.05)


def test_reset_forgets_everything_but_the_setup(fake: FakeSlack, client: WebClient) -> None:
    client.chat_postMessage(channel="C1", text="hi")
    fake.error_next("chat.postMessage")
    fake.reset()
    assert (fake.calls, fake.messages(), fake.views()) == ([], [], [])
    assert client.chat_postMessage(channel="C1", text="hi again")["ok"]


# -- faults --------------------------------------------------------------------------------------
def test_fail_next_answers_5xx_then_recovers(fake: FakeSlack, client: WebClient) -> None:
    fake.fail_next("chat.postMessage", status=503, times=2)
    assert (
        error_of(lambda: client.chat_postMessage(channel="C1", text="x")).response.status_code
        == 503
    )
    patient = WebClient(
        token=TOKEN,
        base_url=fake.base_url,
        retry_handlers=[
            ServerErrorRetryHandler(
                max_retry_count=1,
                interval_calculator=FixedValueRetryIntervalCalculator(fixed_internal=0),
            )
        ],
    )
    assert patient.chat_postMessage(channel="C1", text="x")["ok"]
    assert [c.status for c in fake.calls_to("chat.postMessage")] == [503, 503, 200]


def test_rate_limit_next_surfaces_429_with_retry_after(fake: FakeSlack, client: WebClient) -> None:
    fake.rate_limit_next("chat.postMessage", retry_after=7)
    error = error_of(lambda: client.chat_postMessage(channel="C1", text="x"))
    assert error.response.status_code == 429
    assert error.response.headers["Retry-After"] == "7"
    assert error.response["error"] == "ratelimited"
    assert client.chat_postMessage(channel="C1", text="x")["ok"]


def test_the_sdk_rate_limit_handler_waits_and_succeeds(fake: FakeSlack) -> None:
    fake.rate_limit_next("chat.postMessage", retry_after=0)
    patient = WebClient(
        token=TOKEN, base_url=fake.base_url, retry_handlers=[RateLimitErrorRetryHandler()]
    )
    assert patient.chat_postMessage(channel="C1", text="x")["ok"]
    assert [c.status for c in fake.calls_to("chat.postMessage")] == [429, 200]
    assert len(fake.messages("C1")) == 1


def test_error_next_answers_ok_false(fake: FakeSlack, client: WebClient) -> None:
    fake.error_next("views.publish", error="not_enabled", times=1)
    error = error_of(lambda: client.views_publish(user_id="U123ANN", view=HOME))
    assert (error.response.status_code, error.response["error"]) == (200, "not_enabled")
    assert client.views_publish(user_id="U123ANN", view=HOME)["ok"]


def test_response_url_posts_can_fail_too(fake: FakeSlack) -> None:
    fake.fail_next("response_url")
    assert WebhookClient(fake.response_url("cmd-3")).send(text="x").status_code == 500
    assert fake.ephemerals() == []


def test_enforced_rate_is_per_channel_with_a_true_retry_after(
    fake: FakeSlack, client: WebClient, clock: Clock
) -> None:
    fake.enforce_rate("chat.postMessage", per_channel_per_second=0.5)
    assert client.chat_postMessage(channel="C1", text="1")["ok"]
    assert client.chat_postMessage(channel="C2", text="other channel")["ok"]
    clock.now += 0.5
    limited = error_of(lambda: client.chat_postMessage(channel="C1", text="2"))
    assert (limited.response.status_code, limited.response.headers["Retry-After"]) == (429, "2")
    clock.now += 1.2
    assert (
        error_of(lambda: client.chat_postMessage(channel="C1", text="2")).response.headers[
            "Retry-After"
        ]
        == "1"
    )
    clock.now += 0.3
    assert client.chat_postMessage(channel="C1", text="2")["ok"]
    assert [m["text"] for m in fake.messages("C1")] == ["1", "2"]


def test_enforced_rate_allows_bursts_up_to_the_rate(
    fake: FakeSlack, client: WebClient, clock: Clock
) -> None:
    fake.enforce_rate("chat.postMessage", per_channel_per_second=3)
    for n in range(3):
        client.chat_postMessage(channel="C1", text=str(n))
    assert (
        error_of(lambda: client.chat_postMessage(channel="C1", text="4")).response.status_code
        == 429
    )
    clock.now += 1
    assert client.chat_postMessage(channel="C1", text="4")["ok"]


def test_the_sdk_handler_honours_the_real_limiter() -> None:
    with FakeSlack(token=TOKEN) as slack:
        slack.enforce_rate("chat.postMessage", per_channel_per_second=1)
        patient = WebClient(
            token=TOKEN, base_url=slack.base_url, retry_handlers=[RateLimitErrorRetryHandler()]
        )
        patient.chat_postMessage(channel="C1", text="1")
        patient.chat_postMessage(channel="C1", text="2")
        assert [c.status for c in slack.calls_to("chat.postMessage")] == [200, 429, 200]


def test_a_delayed_answer_times_the_client_out_after_the_work(fake: FakeSlack) -> None:
    fake.delay("chat.postMessage", 30)
    impatient = WebClient(token=TOKEN, base_url=fake.base_url, timeout=0.2)  # type: ignore[arg-type]
    with pytest.raises(TimeoutError):
        impatient.chat_postMessage(channel="C1", text="did it post?")
    assert [m["text"] for m in fake.messages("C1")] == ["did it post?"]


def test_a_delay_before_the_work_leaves_nothing_posted(fake: FakeSlack) -> None:
    fake.delay("chat.postMessage", 30, applied=False)
    impatient = WebClient(token=TOKEN, base_url=fake.base_url, timeout=0.2)  # type: ignore[arg-type]
    with pytest.raises(TimeoutError):
        impatient.chat_postMessage(channel="C1", text="lost")
    assert fake.messages("C1") == []


def test_stop_releases_a_delayed_answer() -> None:
    slack = FakeSlack(token=TOKEN).start()
    slack.delay("auth.test", 60)
    answers: list[Any] = []
    waiting = threading.Thread(
        target=lambda: answers.append(WebClient(token=TOKEN, base_url=slack.base_url).auth_test())
    )
    waiting.start()
    slack.wait_for(lambda: slack.calls_to("auth.test"))
    slack.stop()
    waiting.join(timeout=5)
    assert not waiting.is_alive()
    assert answers[0]["ok"]


# -- message metadata and conversations.history ------------------------------------------------
def test_history_pages_newest_first_with_metadata_only_when_asked(
    fake: FakeSlack, client: WebClient
) -> None:
    meta = {"event_type": "baton_outbox", "event_payload": {"outbox_id": 3}}
    first = client.chat_postMessage(channel="U1", text="one", metadata=meta)
    for text in ("two", "three"):
        client.chat_postMessage(channel="U1", text=text)
    page = client.conversations_history(channel="DU1", limit=2, include_all_metadata=True)
    assert [m["text"] for m in page["messages"]] == ["three", "two"]
    cursor = page["response_metadata"]["next_cursor"]
    rest = client.conversations_history(
        channel="DU1", limit=2, cursor=cursor, include_all_metadata=True
    )
    assert [(m["text"], m.get("metadata")) for m in rest["messages"]] == [("one", meta)]
    assert rest["response_metadata"]["next_cursor"] == ""
    plain = client.conversations_history(channel="DU1")
    assert all("metadata" not in m for m in plain["messages"])
    newer = client.conversations_history(channel="DU1", oldest=first["ts"])
    assert [m["text"] for m in newer["messages"]] == ["three", "two"], "oldest is exclusive"
    assert fake.messages("U1")[0]["metadata"] == meta


@pytest.mark.parametrize(
    "metadata",
    [
        {"event_type": "baton_outbox"},
        {"event_type": "", "event_payload": {}},
        {"event_type": "x", "event_payload": [1]},
        {"event_type": "x", "event_payload": {}, "extra": 1},
        "not json",
    ],
)
def test_malformed_metadata_is_refused(fake: FakeSlack, client: WebClient, metadata) -> None:
    error = error_of(lambda: client.chat_postMessage(channel="C1", text="x", metadata=metadata))
    assert error.response["error"] == "invalid_metadata_format"
    assert fake.messages() == []


def test_history_wants_a_conversation_id_not_a_user(client: WebClient) -> None:
    assert error_of(lambda: client.conversations_history(channel="U1")).response["error"] == (
        "channel_not_found"
    )


def test_a_held_answer_is_applied_but_only_returned_once_released(
    fake: FakeSlack, client: WebClient
) -> None:
    release = fake.hold("chat.postMessage")
    answered: list[str] = []
    poster = threading.Thread(
        target=lambda: answered.append(client.chat_postMessage(channel="C1", text="x")["ts"])
    )
    poster.start()
    fake.wait_for(lambda: fake.messages("C1"))
    assert answered == [], "applied, not yet answered"
    release.set()
    poster.join(timeout=5)
    assert answered == [fake.messages("C1")[0]["ts"]]
