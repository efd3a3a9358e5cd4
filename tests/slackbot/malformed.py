"""The crafted requests of issue 16 §2, as a table: what an outsider, a replay or a buggy client
can send to /slack/events, /api/v1 and /webhooks/mlflow. Each case is one HTTP request.

Every case must answer below 500, change no row and log no error; `expect` narrows the status
where the answer is known (an unsigned request is 401 whatever its body holds).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import requests
from slack_sdk.signature import SignatureVerifier

from tests.slackbot.harness import HOME, SECRET, BotClient

Send = Callable[[BotClient, "Probe"], requests.Response]


@dataclass(frozen=True)
class Probe:
    """What a case may use: the seeded project's people, an API token, the MLflow secret."""

    user: str
    token: str
    mlflow_secret: str


@dataclass(frozen=True)
class Case:
    name: str
    send: Send
    expect: frozenset[int] | None = None  # None: any status below 500


def case(name: str, send: Send, *expect: int) -> Case:
    return Case(name, send, frozenset(expect) if expect else None)


# -- raw requests -----------------------------------------------------------------------------


def signed_with(bot: BotClient, body: str, stamp: str, content_type: str) -> requests.Response:
    """A request signed correctly for whatever text its timestamp header holds."""
    signature = SignatureVerifier(SECRET).generate_signature(timestamp=stamp, body=body)
    headers: dict[str, str | bytes] = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": stamp.encode(),  # bytes: UTF-8 digits go as they are
        "X-Slack-Signature": signature,
    }
    return requests.post(f"{bot.url}/slack/events", data=body.encode(), headers=headers, timeout=15)


def unsigned(bot: BotClient, body: str, content_type: str) -> requests.Response:
    return requests.post(
        f"{bot.url}/slack/events",
        data=body.encode(),
        headers={"Content-Type": content_type},
        timeout=15,
    )


FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def command_body(text: str = "help", **fields: str | None) -> str:
    body = {
        "token": "legacy",
        "team_id": HOME,
        "channel_id": "CCHURN",
        "user_id": "UDS",
        "command": "/mlops",
        "text": text,
        "response_url": "",
        "trigger_id": "trig-x",
    }
    body.update(fields)  # type: ignore[arg-type]
    return urlencode({k: v for k, v in body.items() if v is not None})


def interaction(payload: Any) -> str:
    return urlencode({"payload": json.dumps(payload)})


def click_payload(action_id: str = "handoff.approve", value: Any = "1", **over: Any) -> dict:
    payload: dict[str, Any] = {
        "type": "block_actions",
        "team": {"id": HOME, "domain": "acme"},
        "user": {"id": "UDS", "team_id": HOME},
        "api_app_id": "A1",
        "trigger_id": "trig-x",
        "channel": {"id": "CCHURN"},
        "container": {"type": "message", "channel_id": "CCHURN", "message_ts": "1.0"},
        "message": {"ts": "1.0", "text": ""},
        "actions": [{"type": "button", "action_id": action_id, "value": value, "block_id": "b"}],
    }
    payload.update(over)
    return {k: v for k, v in payload.items() if v is not _DROP}


_DROP = object()


def view_payload(callback: str, meta: Any, values: Any = None, **over: Any) -> dict:
    state = {"values": {"reason": {"value": {"type": "plain_text_input", "value": "why"}}}}
    if values is not None:
        state = {"values": values}
    view: Any = {
        "id": "V1",
        "type": "modal",
        "callback_id": callback,
        "private_metadata": meta if not isinstance(meta, dict) else json.dumps(meta),
        "state": state,
    }
    view.update(over.pop("view_fields", {}))
    payload: dict[str, Any] = {
        "type": "view_submission",
        "team": {"id": HOME, "domain": "acme"},
        "user": {"id": "UDS", "team_id": HOME},
        "api_app_id": "A1",
        "trigger_id": "trig-x",
        "view": view,
    }
    payload.update(over)
    return {k: v for k, v in payload.items() if v is not _DROP}


def event_body(event: Any, **over: Any) -> str:
    body = {
        "token": "legacy",
        "team_id": HOME,
        "api_app_id": "A1",
        "type": "event_callback",
        "event_id": "Ev" + uuid.uuid4().hex[:10],
        "event_time": int(time.time()),
        "event": event,
    }
    body.update(over)
    return json.dumps({k: v for k, v in body.items() if v is not _DROP})


def signed(body: str, content_type: str = FORM) -> Send:
    return lambda bot, _: signed_with(bot, body, str(int(time.time())), content_type)


def api(method: str, path: str, body: bytes | None = None, token: bool = True) -> Send:
    def send(bot: BotClient, probe: Probe) -> requests.Response:
        headers = {"Content-Type": JSON}
        if token:
            headers["Authorization"] = f"Bearer {probe.token}"
        return requests.request(method, bot.url + path, data=body, headers=headers, timeout=15)

    return send


def mlflow(body: bytes, stamp: str | None = None, sign: bool = True) -> Send:
    def send(bot: BotClient, probe: Probe) -> requests.Response:
        delivery, ts = str(uuid.uuid4()), stamp or str(int(time.time()))
        digest = hmac.new(
            probe.mlflow_secret.encode(), f"{delivery}.{ts}.".encode() + body, hashlib.sha256
        ).digest()
        headers: dict[str, str | bytes] = {
            "Content-Type": JSON,
            "X-MLflow-Delivery-Id": delivery,
            "X-MLflow-Timestamp": ts.encode(),
            "X-MLflow-Signature": f"v1,{base64.b64encode(digest).decode()}" if sign else "v1,x",
        }
        return requests.post(f"{bot.url}/webhooks/mlflow", data=body, headers=headers, timeout=15)

    return send


# -- the table --------------------------------------------------------------------------------

BAD_STAMPS = {
    "letters": "abc",
    "empty": "",
    "fraction": "1796149992.5",
    "hex": "0x10",
    "arabic-indic": "١٧٩٦١٤٩٩٩٢",
    "5000-digits": "9" * 5000,
    "negative": "-1",
    "plus-sign": "+" + str(int(time.time())),
    "exponent": "1e9",
    "eleven-digits": "1" + str(int(time.time())),
}
STAMPED_BODIES = {
    "command": (command_body(), FORM),
    "click": (interaction(click_payload()), FORM),
    "event": (event_body({"type": "app_home_opened", "user": "UDS", "tab": "home"}), JSON),
}
NON_OBJECTS = {
    "payload-list": (urlencode({"payload": "[]"}), FORM),
    "payload-null": (urlencode({"payload": "null"}), FORM),
    "payload-number": (urlencode({"payload": "123"}), FORM),
    "payload-string": (urlencode({"payload": '"str"'}), FORM),
    "payload-true": (urlencode({"payload": "true"}), FORM),
    "payload-not-json": (urlencode({"payload": "{not json"}), FORM),
    "json-list": ("[]", JSON),
    "json-null": ("null", JSON),
    "json-number": ("123", JSON),
    "json-string": ('"str"', JSON),
    "json-not-json": ("{not json", JSON),
}
DEEP_LIST = "[" * 100_000 + "]" * 100_000
DEEP_OBJECT = '{"a":' * 50_000 + "1" + "}" * 50_000  # deep, yet under the 512 KiB limit
BAD_ACTIONS = {
    "actions-empty": [],
    "actions-null": None,
    "actions-string": "x",
    "actions-empty-object": [{}],
    "actions-null-item": [None],
    "actions-number-item": [1],
    "action-id-number": [{"action_id": 5, "value": "1"}],
}
ACTION_IDS = (
    "handoff.approve",
    "handoff.request_changes",
    "handoff.reject",
    "alert.ack",
    "alert.retrain",
)
BAD_VALUES = {
    "beyond-int32": "3000000000",
    "huge": str(10**30),
    "seventeen-digits": "9" * 17,
    "number-not-string": 7,
    "list": ["1"],
    "nul": "1\x00",
}
BAD_PEOPLE = {
    "user-string": {"user": "UDS"},
    "team-string": {"team": HOME},
    "user-null": {"user": None},
    "user-missing": {"user": _DROP},
    "team-missing": {"team": _DROP, "user": {"id": "UDS"}},
    "user-id-number": {"user": {"id": 5}},
    "user-id-long": {"user": {"id": "U" + "A" * 40, "team_id": HOME}},
    "team-id-long": {"team": {"id": "T" + "A" * 40}, "user": {"id": "UDS"}},
}
FORM_META = {"key": "churn-model", "to": "develop"}
REASON_META = {"handoff": 1, "decision": "rejected"}
BAD_VIEWS = {
    "view-null": {"view": None},
    "view-string": {"view": "x"},
    "view-no-state": {"view_fields": {"state": None}},
    "values-list": {"values": []},
    "values-string": {"values": "x"},
    "block-list": {"values": {"reason": []}},
    "input-string": {"values": {"reason": {"value": "x"}}},
    "value-number": {"values": {"reason": {"value": {"type": "plain_text_input", "value": 5}}}},
    "value-list": {"values": {"reason": {"value": {"type": "plain_text_input", "value": ["x"]}}}},
    "value-nul": {"values": {"reason": {"value": {"type": "plain_text_input", "value": "a\x00"}}}},
    "metadata-number": {"view_fields": {"private_metadata": 123}},
    "metadata-list": {"view_fields": {"private_metadata": "[]"}},
    "metadata-not-json": {"view_fields": {"private_metadata": "{x"}},
    **BAD_PEOPLE,
}
BAD_FORM_META = {
    "to-moon": {"key": "churn-model", "to": "moon"},
    "to-number": {"key": "churn-model", "to": 5},
    "key-number": {"key": 5, "to": "develop"},
    "key-list": {"key": ["churn-model"]},
    "key-long": {"key": "k" * 5000},
    "key-nul": {"key": "churn\x00model"},
}
BAD_REASON_META = {
    "handoff-10e30": {"handoff": 10**30, "decision": "rejected"},
    "handoff-int32": {"handoff": 3_000_000_000, "decision": "rejected"},
    "handoff-text": {"handoff": "abc", "decision": "rejected"},
    "handoff-float": {"handoff": 1.5, "decision": "rejected"},
    "handoff-null": {"handoff": None, "decision": "rejected"},
    "handoff-list": {"handoff": [1], "decision": "rejected"},
    "decision-moon": {"handoff": 1, "decision": "moon"},
    "decision-approved": {"handoff": 1, "decision": 5},
}
BAD_COMMANDS = {
    "no-user": {"user_id": None},
    "no-channel": {"channel_id": None},
    "no-team": {"team_id": None},
    "handoff-no-trigger": {"text": "handoff churn-model", "trigger_id": None},
    "user-long": {"user_id": "U" + "A" * 40},
    "channel-long": {"channel_id": "C" + "A" * 40},
    "team-long": {"team_id": "T" + "A" * 40},
    "user-long-write": {"user_id": "U" + "A" * 40, "text": "project create long-user Long"},
    "channel-long-write": {"channel_id": "C" + "A" * 40, "text": "project create long-chan Long"},
    "nul-text": {"text": "project create demo Demo\x00x"},
    "nul-key": {"text": "status churn\x00model"},
    "nul-user": {"user_id": "UDS\x00"},
    "mention-long": {"text": "role assign churn-model ds <@U" + "A" * 40 + "> lead"},
    "channel-mention-long": {"text": "digest now <#C" + "A" * 40 + ">"},
    "nul-role": {"text": "role assign churn-model ds <@UX\x00> lead"},
    "nul-name": {"text": "project link-model churn-model churn\x00xgb"},
    "text-long-nul": {"text": "project create demo " + "\x00" * 3000},
}
BAD_EVENTS = {
    "event-null": None,
    "event-string": "x",
    "event-list": [],
    "event-no-type": {},
    "home-no-user": {"type": "app_home_opened", "tab": "home"},
    "home-user-long": {"type": "app_home_opened", "user": "U" + "A" * 40, "tab": "home"},
    "home-user-number": {"type": "app_home_opened", "user": 5, "tab": "home"},
    "home-user-nul": {"type": "app_home_opened", "user": "UDS\x00", "tab": "home"},
    "home-tab-list": {"type": "app_home_opened", "user": "UDS", "tab": []},
}


NUL_PACKET = {"project": "churn-model", "packet": {"objective": "a\x00"}, "requested_by": "UDS"}
LONG_REQUESTER = {"project": "churn-model", "packet": {}, "requested_by": "U" + "A" * 40}
UNIX_TIME = {"project": "churn-model", "metric": "auc", "value": 0.1, "observed_at": 0}
BARE_DATE = {**UNIX_TIME, "observed_at": "2026-03-02"}


MLFLOW_NUL = {
    "entity": "model_version",
    "action": "created",
    "timestamp": "2026-03-02T09:00:00Z",
    "data": {"name": "churn\x00xgb", "version": "3", "tags": {}},
}


def _json(body: Any) -> bytes:
    return json.dumps(body).encode()


def _cases() -> list[Case]:
    cases: list[Case] = []
    for stamp_name, stamp in BAD_STAMPS.items():
        for body_name, (body, kind) in STAMPED_BODIES.items():
            cases.append(
                case(
                    f"stamp-{stamp_name}-{body_name}",
                    lambda bot, _, b=body, s=stamp, k=kind: signed_with(bot, b, s, k),
                    401,
                )
            )
    for name, (body, kind) in NON_OBJECTS.items():
        cases.append(
            case(f"unsigned-{name}", lambda bot, _, b=body, k=kind: unsigned(bot, b, k), 401)
        )
        cases.append(case(f"signed-{name}", signed(body, kind), 400))
    deep_form = urlencode({"payload": "[" * 60_000})
    cases += [
        case("unsigned-deep-json", lambda bot, _: unsigned(bot, DEEP_LIST, JSON), 401),
        case("signed-deep-json", signed(DEEP_LIST, JSON), 400),
        case("signed-deep-object", signed(DEEP_OBJECT, JSON), 400),
        case("signed-deep-payload", signed(deep_form), 400),
        case("api-metrics-deep", api("POST", "/api/v1/metrics", ("[" * 5000).encode()), 400),
        case("api-metrics-deep-100k", api("POST", "/api/v1/metrics", DEEP_OBJECT.encode()), 400),
        case("api-handoffs-deep", api("POST", "/api/v1/handoffs", DEEP_LIST.encode()), 400),
        case("api-packet-nul", api("POST", "/api/v1/handoffs", _json(NUL_PACKET)), 422),
        case("api-requester-long", api("POST", "/api/v1/handoffs", _json(LONG_REQUESTER)), 422),
        case("api-observed-unix", api("POST", "/api/v1/metrics", _json(UNIX_TIME)), 422),
        case("api-observed-date", api("POST", "/api/v1/metrics", _json(BARE_DATE)), 422),
        case("api-path-nul", api("GET", "/api/v1/projects/churn%00model/audit"), 404),
        case("api-path-long", api("GET", "/api/v1/projects/" + "k" * 300 + "/audit"), 404),
        case("mlflow-deep", mlflow(DEEP_LIST.encode()), 400),
        case("mlflow-deep-object", mlflow(DEEP_OBJECT.encode()), 400),
        case("mlflow-deep-unsigned", mlflow(DEEP_LIST.encode(), sign=False), 401),
        case("mlflow-name-nul", mlflow(_json(MLFLOW_NUL)), 400),
        case("mlflow-stamp-5000", mlflow(b"{}", stamp="9" * 5000), 401),
        case("mlflow-stamp-arabic", mlflow(b"{}", stamp="١٧٩٦١٤٩٩٩٢"), 401),
    ]
    for name, actions in BAD_ACTIONS.items():
        cases.append(case(f"click-{name}", signed(interaction(click_payload(actions=actions)))))
    for action in ACTION_IDS:
        for name, value in BAD_VALUES.items():
            payload = click_payload(action, value)
            cases.append(case(f"click-{action}-{name}", signed(interaction(payload))))
        for name, over in BAD_PEOPLE.items():
            payload = click_payload(action, "1", **over)
            cases.append(case(f"click-{action}-{name}", signed(interaction(payload))))
    for callback, meta in (("handoff.submit", FORM_META), ("handoff.reason", REASON_META)):
        for name, over in BAD_VIEWS.items():
            over = dict(over)
            values = over.pop("values", None)
            payload = view_payload(callback, meta, values, **over)
            cases.append(case(f"view-{callback}-{name}", signed(interaction(payload))))
    for name, meta in BAD_FORM_META.items():
        payload = view_payload("handoff.submit", meta)
        cases.append(case(f"form-{name}", signed(interaction(payload))))
    for name, meta in BAD_REASON_META.items():
        payload = view_payload("handoff.reason", meta)
        cases.append(case(f"reason-{name}", signed(interaction(payload))))
    for name, fields in BAD_COMMANDS.items():
        cases.append(case(f"command-{name}", signed(command_body(**fields))))
    for name, event in BAD_EVENTS.items():
        cases.append(case(f"event-{name}", signed(event_body(event), JSON)))
    cases += [
        case("event-no-team", signed(event_body({"type": "app_home_opened"}, team_id=_DROP), JSON)),
        case("event-team-long", signed(event_body(None, team_id="T" * 40), JSON)),
        case("event-id-list", signed(event_body({"type": "x"}, event_id=["x"]), JSON)),
        case("callback-unknown-type", signed(json.dumps({"type": 5}), JSON)),
        case("interaction-unknown-type", signed(interaction({"type": ["x"]}))),
    ]
    return cases


CASES = _cases()
