"""A fake Slack Web API on a loopback port, for tests that talk real HTTP.

Not a mock of our code: slack_sdk's WebClient (`base_url=fake.base_url`) and response_url
posts reach a ThreadingHTTPServer that answers like Slack does, keeps what was posted, and
can fail on request (5xx, 429 with Retry-After, `ok: false`, per-channel rate limits, delays).
Tests then assert on what a user would see: `messages`, `ephemerals`, `views`, `home`.
"""

from __future__ import annotations

import copy
import json
import math
import sys
import threading
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

# What Slack refuses, shared with the sandbox's emulator (one copy of the rules).
from bot.slack_api_rules import (
    channel_info,
    decode_json_fields,
    flag,
    history_window,
    message_problem,
    metadata_problem,
    view_problem,
)
from bot.slack_api_rules import error as _error
from tests.serving import stop_serving

Json = dict[str, Any]
T = TypeVar("T")

_BASE_TS = 1_700_000_000


@dataclass
class Call:
    """One request as the fake saw it; `status` and `response` are filled in once answered."""

    method: str
    params: Json
    headers: dict[str, str]
    timestamp: float
    status: int | None = None
    response: Json | None = None


@dataclass(frozen=True)
class _Reply:
    status: int
    body: Json
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Hook:
    """Who a response_url belongs to, when a test cares (Slack knows; a bare URL does not)."""

    user: str | None = None
    channel: str | None = None
    message_ts: str | None = None


class _SlidingLimiter:
    """At most `per_second` accepted calls per key in any sliding window (one call per 1/rate s)."""

    def __init__(self, per_second: float) -> None:
        self.window = max(1.0, 1.0 / per_second)
        self.capacity = max(1, math.floor(per_second * self.window))
        self._accepted: dict[str, deque[float]] = defaultdict(deque)

    def retry_after(self, key: str, now: float) -> int | None:
        """None if the call may pass (it is counted), else whole seconds until it would."""
        log = self._accepted[key]
        while log and log[0] <= now - self.window:
            log.popleft()
        if len(log) < self.capacity:
            log.append(now)
            return None
        return max(1, math.ceil(log[0] + self.window - now))


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that timed out hangs up before a delayed answer: expected in timeout tests.
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_POST(self) -> None:
        self.server.fake._serve(self)

    do_GET = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        pass


class FakeSlack:
    """Slack's Web API and response_url endpoint, in-process, on 127.0.0.1 and a free port."""

    def __init__(
        self,
        *,
        token: str = "xoxb-test-token",
        team_id: str = "T_HOME",
        bot_user_id: str = "U_BATON",
        bot_id: str = "B_BATON",
        users: dict[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.token, self.team_id = token, team_id
        # Socket Mode: apps.connections.open answers this URL to the app-level token.
        self.app_token, self.socket_url = "xapp-test-app-token", ""
        self.bot_user_id, self.bot_id = bot_user_id, bot_id
        self.users: dict[str, str] = dict(users or {})
        # users.info's other user fields a test sets, e.g. {"tz": "Europe/Berlin", "deleted": True}
        self.user_fields: dict[str, Json] = {}
        # conversations.info: channels a test describes, id -> {"name", "private", "member"};
        # any other C… id is a public channel the bot is in, named after its id.
        self.channels: dict[str, Json] = {}
        self._clock = clock
        self._cond = threading.Condition(threading.RLock())
        self._stopping = threading.Event()
        self._counter = 0
        self._last_micros = 0
        self._server = _Server(self)
        # stop() wakes the loop (stop_serving), so its poll never delays a test's end.
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self.base_url = f"http://127.0.0.1:{self._server.server_port}/api/"
        self._methods: dict[str, Callable[[Json], Json]] = {
            "auth.test": self._auth_test,
            "chat.postMessage": self._post_message,
            "chat.update": self._update_message,
            "chat.delete": self._delete_message,
            "chat.postEphemeral": self._post_ephemeral,
            "conversations.open": self._open_conversation,
            "conversations.join": self._join_conversation,
            "conversations.history": self._history,
            "conversations.info": self._conversation_info,
            "views.open": self._open_view,
            "views.push": self._push_view,
            "views.update": self._update_view,
            "views.publish": self._publish_view,
            "users.info": self._user_info,
        }
        self._methods.update(self._function_methods())
        self.reset()

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> FakeSlack:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # releases delayed answers
        if self._thread.is_alive():
            stop_serving(self._server)
            self._thread.join(timeout=5)
        self._server.server_close()

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def reset(self) -> None:
        """Forget everything posted and every configured fault; keep token, team and users."""
        with self._cond:
            self._calls: list[Call] = []
            self._messages: dict[tuple[str | None, str], Json] = {}
            self._ephemerals: list[Json] = []
            self._responses: list[Json] = []
            self._views: dict[str, Json] = {}
            self._homes: dict[str, str] = {}
            self._hooks: dict[str, _Hook] = {}
            self._by_url: dict[str, Json] = {}
            self._triggers: set[str] = set()
            self._faults: dict[str, deque[_Reply]] = defaultdict(deque)
            self._limiters: dict[str, _SlidingLimiter] = {}
            self._delays: dict[str, tuple[float, bool]] = {}
            self._executions: dict[str, _Execution] = {}
            self._holds: dict[str, threading.Event] = {}

    def response_url(
        self,
        name: str,
        *,
        user: str | None = None,
        channel: str | None = None,
        message_ts: str | None = None,
    ) -> str:
        """A response_url; bind it to a user, channel or original message to see its effects."""
        with self._cond:
            self._hooks[name] = _Hook(user, channel, message_ts)
        return f"http://127.0.0.1:{self._server.server_port}/response/{name}"

    @staticmethod
    def dm_channel(user: str) -> str:
        return f"D{user}"

    # -- fault injection (method "response_url" covers response_url posts) -------------------
    def fail_next(self, method: str, status: int = 500, times: int = 1) -> None:
        self._queue(method, _Reply(status, _error("fatal_error")), times)

    def rate_limit_next(self, method: str, retry_after: int = 1, times: int = 1) -> None:
        headers = {"Retry-After": str(retry_after)}
        self._queue(method, _Reply(429, _error("ratelimited"), headers), times)

    def error_next(self, method: str, error: str = "channel_not_found", times: int = 1) -> None:
        self._queue(method, _Reply(200, _error(error)), times)

    def enforce_rate(self, method: str, per_channel_per_second: float = 1.0) -> None:
        with self._cond:
            self._limiters[method] = _SlidingLimiter(per_channel_per_second)

    def delay(self, method: str, seconds: float, *, applied: bool = True) -> None:
        """Answer `method` late. applied=True: Slack did the work, only the answer is late."""
        with self._cond:
            self._delays[method] = (seconds, applied)

    def hold(self, method: str) -> threading.Event:
        """Apply `method`'s calls but keep their answers until the returned event is set (or the
        fake stops): a client killed meanwhile never learns that Slack did the work."""
        with self._cond:
            release = self._holds[method] = threading.Event()
        return release

    def _queue(self, method: str, reply: _Reply, times: int) -> None:
        with self._cond:
            self._faults[method].extend([reply] * times)

    # -- what tests look at ------------------------------------------------------------------
    @property
    def calls(self) -> list[Call]:
        with self._cond:
            return list(self._calls)

    def calls_to(self, method: str) -> list[Call]:
        return [c for c in self.calls if c.method == method]

    def messages(self, channel: str | None = None) -> list[Json]:
        """Messages as they stand now (after updates and deletes), oldest first."""
        wanted = self._channel_id(channel) if channel else None
        with self._cond:
            found = [m for m in self._messages.values() if wanted in (None, m["channel"])]
            return copy.deepcopy(found)

    def last_message(self, channel: str) -> Json:
        return _last(self.messages(channel), f"no message in {channel}")

    def ephemerals(self, user: str | None = None) -> list[Json]:
        with self._cond:
            return copy.deepcopy([e for e in self._ephemerals if user in (None, e["user"])])

    def last_ephemeral(self, user: str) -> Json:
        return _last(self.ephemerals(user), f"no ephemeral message for {user}")

    def responses(self) -> list[Json]:
        """Every response_url post, as sent (replace_original and all)."""
        with self._cond:
            return copy.deepcopy(self._responses)

    def views(self, kind: str | None = None) -> list[Json]:
        """Views as Slack holds them (with id, hash, state); kind is "modal" or "home"."""
        with self._cond:
            return copy.deepcopy([v for v in self._views.values() if kind in (None, v["type"])])

    def home(self, user: str) -> Json:
        with self._cond:
            if user not in self._homes:
                raise LookupError(f"no home view published for {user}")
            return copy.deepcopy(self._views[self._homes[user]])

    def wait_for(self, predicate: Callable[[], T], timeout: float = 5) -> T:
        """Block until `predicate()` is truthy, re-checked whenever the fake answers a call."""
        with self._cond:
            result = self._cond.wait_for(predicate, timeout)
        if not result:
            raise TimeoutError(f"not within {timeout}s; calls: {[c.method for c in self.calls]}")
        return result

    # -- the request pipeline ----------------------------------------------------------------
    def _serve(self, request: BaseHTTPRequestHandler) -> None:
        url = urlsplit(request.path)
        size = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(size) if size else b""
        if url.path.startswith("/api/"):
            method, kind = url.path.removeprefix("/api/"), "api"
        elif url.path.startswith("/response/"):
            method, kind = "response_url", url.path.removeprefix("/response/")
        else:
            return _write(request, _Reply(404, {"ok": False, "error": "not_found"}))
        # request.headers matches names case-insensitively; clients differ in spelling.
        params = _parse(url.query, request.headers.get("Content-Type", ""), raw)
        token = request.headers.get("Authorization", "").removeprefix("Bearer ")
        call = Call(method, params or {}, dict(request.headers.items()), time.time())
        with self._cond:
            self._calls.append(call)
            self._cond.notify_all()
            seconds, applied = self._delays.get(method, (0.0, True))
        if not applied:
            self._stopping.wait(seconds)
        reply = self._answer(call, kind, params, token)
        if applied:
            self._stopping.wait(seconds)
        with self._cond:
            held = self._holds.get(method)
        while held is not None and not held.wait(0.05) and not self._stopping.is_set():
            pass
        _write(request, reply)

    def _answer(self, call: Call, kind: str, params: Json | None, token: str) -> _Reply:
        with self._cond:
            try:
                reply = self._reply(call, kind, params, token)
            except Exception as exc:  # a bug in the fake must fail the test loudly, not hang it
                reply = _Reply(500, _error(f"fake_slack_crashed: {exc!r}"))
            call.status, call.response = reply.status, reply.body
            self._cond.notify_all()
            return reply

    def _reply(self, call: Call, kind: str, params: Json | None, token: str) -> _Reply:
        if self._faults[call.method]:
            return self._faults[call.method].popleft()
        if params is None:
            return _Reply(200, _error("invalid_json"))
        if kind == "api":
            return self._api(call.method, params, token or str(params.get("token") or ""))
        return _Reply(200, self._respond(kind, params))

    def _api(self, method: str, params: Json, token: str) -> _Reply:
        if method == "apps.connections.open":  # the one method called with the app token
            if token != self.app_token or not self.socket_url:
                return _Reply(200, _error("invalid_auth"))
            return _Reply(200, {"ok": True, "url": self.socket_url})
        if not token:
            return _Reply(200, _error("not_authed"))
        if token != self.token and not self._execution_token(token):
            return _Reply(200, _error("invalid_auth"))
        limiter = self._limiters.get(method)
        channel = self._channel_id(str(params.get("channel") or ""))
        wait = limiter.retry_after(channel, self._clock()) if limiter else None
        if wait is not None:
            return _Reply(429, _error("ratelimited"), {"Retry-After": str(wait)})
        handler = self._methods.get(method)
        return _Reply(200, handler(params) if handler else _error("unknown_method"))

    def _next_ts(self) -> str:
        """Slack's message ids: the time of posting (conversations.history's `oldest` compares
        with it), in microseconds, strictly increasing."""
        self._counter += 1
        self._last_micros = max(self._last_micros + 100, int(time.time() * 1e6))
        return f"{self._last_micros // 1_000_000}.{self._last_micros % 1_000_000:06d}"

    def _channel_id(self, channel: str) -> str:
        # Posting to a user id lands in the DM with that user, as Slack does.
        return self.dm_channel(channel) if channel.startswith(("U", "W")) else channel

    # -- chat.* ------------------------------------------------------------------------------
    def _post_message(self, p: Json) -> Json:
        if not p.get("channel"):
            return _error("channel_not_found")
        if problem := message_problem(p):
            return _error(problem)
        if problem := metadata_problem(p.get("metadata")):
            return _error(problem)
        channel, ts = self._channel_id(str(p["channel"])), self._next_ts()
        message = self._message(channel, ts, p, via="chat.postMessage")
        self._messages[_key(message)] = message
        return {"ok": True, "channel": channel, "ts": ts, "message": copy.deepcopy(message)}

    def _message(self, channel: str | None, ts: str, p: Json, *, via: str) -> Json:
        return {
            "channel": channel,
            "ts": ts,
            "text": p.get("text") or "",
            "blocks": p.get("blocks") or [],
            "thread_ts": p.get("thread_ts"),
            "user": self.bot_user_id,
            "bot_id": self.bot_id,
            "via": via,
            **({"metadata": p["metadata"]} if p.get("metadata") else {}),
        }

    def _update_message(self, p: Json) -> Json:
        message = self._messages.get((p.get("channel"), str(p.get("ts"))))
        if message is None:
            return _error("message_not_found")
        if problem := message_problem({**message, **p}):
            return _error(problem)
        message.update({k: p[k] for k in ("text", "blocks") if k in p})
        return {
            "ok": True,
            "channel": message["channel"],
            "ts": message["ts"],
            "text": message["text"],
            "message": copy.deepcopy(message),
        }

    def _delete_message(self, p: Json) -> Json:
        if self._messages.pop((p.get("channel"), str(p.get("ts"))), None) is None:
            return _error("message_not_found")
        return {"ok": True, "channel": p["channel"], "ts": p["ts"]}

    def _post_ephemeral(self, p: Json) -> Json:
        if not p.get("channel"):
            return _error("channel_not_found")
        if not p.get("user"):
            return _error("user_not_found")
        if problem := message_problem(p):
            return _error(problem)
        ephemeral = self._message(str(p["channel"]), self._next_ts(), p, via="chat.postEphemeral")
        self._ephemerals.append({**ephemeral, "user": p["user"]})
        return {"ok": True, "message_ts": ephemeral["ts"]}

    # -- conversations.*, users.*, auth.* ----------------------------------------------------
    def _open_conversation(self, p: Json) -> Json:
        if p.get("channel"):
            return {"ok": True, "channel": {"id": p["channel"]}}
        users = _user_list(p.get("users"))
        if not users:
            return _error("users_list_not_supplied")
        if len(users) == 1:
            return {"ok": True, "channel": {"id": self.dm_channel(users[0]), "is_im": True}}
        return {"ok": True, "channel": {"id": "G" + "-".join(sorted(users)), "is_mpim": True}}

    def _history(self, p: Json) -> Json:
        """Newest first, `limit` per page with a cursor; metadata only with include_all_metadata."""
        channel = str(p.get("channel") or "")
        if not channel or channel.startswith(("U", "W")):  # history wants the IM id, not a user
            return _error("channel_not_found")
        window = history_window(p)
        if isinstance(window, str):
            return _error(window)
        limit, oldest = window
        try:
            offset = int(p.get("cursor") or 0)
        except ValueError:
            return _error("invalid_arguments")
        found = sorted(
            (m for m in self._messages.values() if m["channel"] == channel),
            key=lambda m: float(m["ts"]),
            reverse=True,
        )
        found = [m for m in found if float(m["ts"]) > oldest]
        page = copy.deepcopy(found[offset : offset + limit])
        if not flag(p.get("include_all_metadata")):
            for message in page:
                message.pop("metadata", None)
        more = offset + limit < len(found)
        cursor = str(offset + limit) if more else ""
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": cursor},
        }

    def _join_conversation(self, p: Json) -> Json:
        if not p.get("channel"):
            return _error("channel_not_found")
        return {"ok": True, "channel": {"id": p["channel"], "is_member": True}}

    def _conversation_info(self, p: Json) -> Json:
        channel = str(p.get("channel") or "")
        if not channel.startswith(("C", "G")):
            return _error("channel_not_found")
        known = self.channels.get(channel, {})
        name = str(known.get("name") or channel.lower())
        private, member = bool(known.get("private")), bool(known.get("member", True))
        return channel_info(channel, name, private=private, member=member)

    def _user_info(self, p: Json) -> Json:
        user_id = str(p.get("user") or "")
        if user_id not in self.users:
            return _error("user_not_found")
        name = self.users[user_id]
        profile = {"real_name": name, "display_name": name}
        person = {"id": user_id, "team_id": self.team_id, "name": name, "real_name": name}
        extra = self.user_fields.get(user_id, {})
        return {"ok": True, "user": {**person, "is_bot": False, "profile": profile, **extra}}

    def _auth_test(self, p: Json) -> Json:
        return {
            "ok": True,
            "url": "https://fake.slack.test/",
            "team": "Fake workspace",
            "user": "baton",
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    # -- views.* -----------------------------------------------------------------------------
    def _open_view(self, p: Json) -> Json:
        if problem := self._use_trigger(p) or view_problem(p.get("view"), "modal"):
            return _error(problem)
        return self._store_view(p["view"], self._new_view_id())

    def _push_view(self, p: Json) -> Json:
        return self._open_view(p)

    def _update_view(self, p: Json) -> Json:
        view_id = p.get("view_id") or self._by_external_id(p.get("external_id"))
        current = self._views.get(str(view_id))
        if current is None:
            return _error("not_found")
        if p.get("hash") and p["hash"] != current["hash"]:
            return _error("hash_conflict")
        if problem := view_problem(p.get("view"), current["type"]):
            return _error(problem)
        return self._store_view(p["view"], current["id"])

    def _publish_view(self, p: Json) -> Json:
        user_id = str(p.get("user_id") or "")
        if not user_id:
            return _error("invalid_arguments")
        if problem := view_problem(p.get("view"), "home"):
            return _error(problem)
        current = self._views.get(self._homes.get(user_id, ""))
        if current and p.get("hash") and p["hash"] != current["hash"]:
            return _error("hash_conflict")
        view_id = self._homes.setdefault(user_id, self._new_view_id())
        return self._store_view(p["view"], view_id)

    def _use_trigger(self, p: Json) -> str | None:
        trigger = p.get("trigger_id")
        if not trigger:
            return "invalid_arguments"
        if trigger in self._triggers:
            return "exchanged_trigger_id"
        self._triggers.add(trigger)
        return None

    def _new_view_id(self) -> str:
        self._counter += 1
        return f"V{self._counter:08d}"

    def _by_external_id(self, external_id: Any) -> str | None:
        found = (v["id"] for v in self._views.values() if v.get("external_id") == external_id)
        return next(found, None) if external_id else None

    def _store_view(self, view: Json, view_id: str) -> Json:
        self._counter += 1
        stored = {
            **copy.deepcopy(view),
            "id": view_id,
            "team_id": self.team_id,
            "bot_id": self.bot_id,
            "hash": f"{_BASE_TS}.{self._counter:08d}",
            "state": {"values": {}},
            "root_view_id": view_id,
        }
        self._views[view_id] = stored
        return {"ok": True, "view": copy.deepcopy(stored)}

    # -- functions.* (Workflow Builder custom steps) and chat.getPermalink -------------------
    def start_execution(self, execution_id: str, output_parameters: Json) -> str:
        """A running step, as Slack holds one when it sends `function_executed`; returns the
        execution's bot_access_token, valid (for any method) until the step completes.
        `output_parameters` is the manifest's declaration: completions are checked against it."""
        token = f"xwfp-{execution_id}"
        with self._cond:
            self._executions[execution_id] = _Execution(token, copy.deepcopy(output_parameters))
        return token

    def completion(self, execution_id: str) -> Json | None:
        """{"method", "outputs" | "error", "token"} once Slack accepted a completion, else None."""
        with self._cond:
            found = self._executions.get(execution_id)
            return copy.deepcopy(found.completed) if found else None

    def _execution_token(self, token: str) -> bool:
        return any(e.token == token and e.completed is None for e in self._executions.values())

    def _function_methods(self) -> dict[str, Callable[[Json], Json]]:
        return {
            "functions.completeSuccess": self._complete_success,
            "functions.completeError": self._complete_error,
            "chat.getPermalink": self._get_permalink,
        }

    def _running(self, p: Json) -> _Execution | str:
        execution_id = p.get("function_execution_id")
        if not isinstance(execution_id, str) or not execution_id:
            return "invalid_arguments"
        execution = self._executions.get(execution_id)
        if execution is None:
            return "function_execution_not_found"
        if execution.completed is not None:
            return "execution_not_in_running_state"
        return execution

    def _complete_success(self, p: Json) -> Json:
        execution = self._running(p)
        if isinstance(execution, str):
            return _error(execution)
        outputs = p.get("outputs")
        if isinstance(outputs, str):  # slack_sdk sends it JSON-encoded in a form field
            try:
                outputs = json.loads(outputs)
            except json.JSONDecodeError:
                return _error("invalid_arguments")
        if not isinstance(outputs, dict):
            return _error("invalid_arguments")
        if problem := _outputs_problem(outputs, execution.outputs):
            return {**_error("parameter_validation_failed"), "errors": [problem]}
        execution.completed = {"method": "functions.completeSuccess", "outputs": outputs}
        return {"ok": True}

    def _complete_error(self, p: Json) -> Json:
        execution = self._running(p)
        if isinstance(execution, str):
            return _error(execution)
        if not isinstance(p.get("error"), str) or not p["error"].strip():
            return _error("invalid_arguments")
        execution.completed = {"method": "functions.completeError", "error": p["error"]}
        return {"ok": True}

    def _get_permalink(self, p: Json) -> Json:
        channel, ts = p.get("channel"), str(p.get("message_ts") or "")
        if not channel or not ts:
            return _error("invalid_arguments")
        if (channel, ts) not in self._messages:
            return _error("message_not_found")
        link = f"https://fake.slack.test/archives/{channel}/p{ts.replace('.', '')}"
        return {"ok": True, "channel": channel, "permalink": link}

    # -- response_url ------------------------------------------------------------------------
    def _respond(self, name: str, p: Json) -> Json:
        hook = self._hooks.get(name, _Hook())
        self._responses.append({"url": name, **copy.deepcopy(p)})
        original = self._original(name, hook)
        if flag(p.get("delete_original")) and original is not None:
            self._forget(original)
        elif flag(p.get("replace_original")) and original is not None:
            original.update({"text": p.get("text") or "", "blocks": p.get("blocks") or []})
        else:
            self._by_url[name] = self._post_response(name, hook, p)
        return {"ok": True}

    def _original(self, name: str, hook: _Hook) -> Json | None:
        """The message a response replaces: the bound one, else this URL's last visible post."""
        if hook.channel and hook.message_ts:
            bound = self._messages.get((hook.channel, hook.message_ts))
            if bound is not None:
                return bound
        return self._by_url.get(name)

    def _post_response(self, name: str, hook: _Hook, p: Json) -> Json:
        record = self._message(hook.channel, self._next_ts(), p, via="response_url")
        record["url"] = name
        if p.get("response_type") == "in_channel":
            self._messages[_key(record)] = record
        else:
            record["user"] = hook.user
            self._ephemerals.append(record)
        return record

    def _forget(self, record: Json) -> None:
        self._messages.pop(_key(record), None)
        self._ephemerals[:] = [e for e in self._ephemerals if e is not record]


@dataclass
class _Execution:
    """A running custom step: its token and the outputs the manifest declares."""

    token: str
    outputs: Json
    completed: Json | None = None


_OUTPUT_TYPES: dict[str, Callable[[Any], bool]] = {
    "string": lambda v: isinstance(v, str),
    "boolean": lambda v: isinstance(v, bool),
    "integer": lambda v: isinstance(v, int) and not isinstance(v, bool),
    "number": lambda v: isinstance(v, int | float) and not isinstance(v, bool),
    "slack#/types/user_id": lambda v: isinstance(v, str) and v[:1] in ("U", "W"),
    "slack#/types/channel_id": lambda v: isinstance(v, str) and v[:1] in ("C", "G", "D"),
}


def _outputs_problem(outputs: Json, declared: Json) -> str | None:
    """Outputs checked as Slack checks them against `output_parameters` (properties+required)."""
    properties = declared.get("properties") or {}
    for name in declared.get("required") or []:
        if name not in outputs:
            return f"missing required output {name}"
    for name, value in outputs.items():
        spec = properties.get(name)
        if spec is None:
            return f"{name} is not a declared output"
        if spec.get("type") == "array":
            item = _OUTPUT_TYPES.get((spec.get("items") or {}).get("type", ""))
            if not isinstance(value, list) or item is None or not all(item(v) for v in value):
                return f"{name} is not an array of {(spec.get('items') or {}).get('type')}"
        elif not _OUTPUT_TYPES.get(spec.get("type", ""), lambda v: False)(value):
            return f"{name} is not of type {spec.get('type')}"
    return None


def _parse(query: str, content_type: str, raw: bytes) -> Json | None:
    """Query and body parameters; None when a JSON body does not parse."""
    params = _form(query)
    if content_type.startswith("application/json"):
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            return None
        return {**params, **(body if isinstance(body, dict) else {})}
    return {**params, **_form(raw.decode("utf-8"))}


def _form(text: str) -> Json:
    params: Json = {k: v[-1] for k, v in parse_qs(text, keep_blank_values=True).items()}
    return decode_json_fields(params)


def _key(message: Json) -> tuple[str | None, str]:
    return (message["channel"], message["ts"])


def _user_list(users: Any) -> list[str]:
    listed = users.split(",") if isinstance(users, str) else list(users or [])
    return [u.strip() for u in listed if u.strip()]


def _last(items: list[Json], missing: str) -> Json:
    if not items:
        raise LookupError(missing)
    return items[-1]


def _write(request: BaseHTTPRequestHandler, reply: _Reply) -> None:
    body = json.dumps(reply.body).encode("utf-8")
    request.send_response(reply.status)
    request.send_header("Content-Type", "application/json; charset=utf-8")
    request.send_header("Content-Length", str(len(body)))
    for name, value in reply.headers.items():
        request.send_header(name, value)
    request.end_headers()
    request.wfile.write(body)
