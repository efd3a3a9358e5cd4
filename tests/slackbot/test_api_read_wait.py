"""GET a hand-off (and long-poll it), GET a project, cancel by id: through real HTTP, answers
held to the OpenAPI document, one workspace each."""

from __future__ import annotations

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import update

from bot import handoff_waits
from models.handoff import Handoff
from models.schemas.base import Actor
from models.services import monitoring, projects
from tests.slackbot.api_client import Api, make_token
from tests.slackbot.flow import PACKETS
from tests.slackbot.harness import HOME

OTHER = "TOTHER"


@pytest.fixture
def api(bot, db) -> Api:
    return Api(bot.url, make_token(db))


def _open(api: Api, seeded) -> dict:
    body = {"project": seeded.key, "packet": PACKETS["develop"], "requested_by": seeded.ds}
    response = api.post("/api/v1/handoffs", body)
    assert response.status_code == 201, response.text
    return response.json()


def _poll_in_background(api: Api, handoff_id: int, version: int, wait: float = 8):
    """Start a long poll; returns (future of the response, time it answered)."""
    answered: list[float] = []
    pool = ThreadPoolExecutor(max_workers=1)

    def poll():
        response = api.get(f"/api/v1/handoffs/{handoff_id}?wait={wait}&version={version}")
        answered.append(time.monotonic())
        return response

    future = pool.submit(poll)
    pool.shutdown(wait=False)
    return future, answered


def _await_waiting(count: int = 1, timeout: float = 5) -> None:
    """Until `count` long polls are parked on the condition (a condition, not a sleep)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _waiting() >= count:
            return
        with handoff_waits._changed:
            handoff_waits._changed.wait(0.02)
    raise TimeoutError("no long poll started waiting")


def _waiting() -> int:
    with handoff_waits._changed:
        return len(handoff_waits._changed._waiters)  # type: ignore[attr-defined]


def test_a_handoff_reads_back_with_each_role_its_lead_and_decision(api, bot, seeded):
    opened = _open(api, seeded)
    state = api.get(f"/api/v1/handoffs/{opened['id']}").json()
    assert (state["status"], state["round"], state["version"]) == ("pending", 1, 1)
    assert state["transition"] == "manage → develop"
    assert {s["role"]: (s["lead"], s["state"]) for s in state["signoffs"]} == {
        "domain_expert": (seeded.domain, "pending"),
        "ml_architect": (seeded.architect, "pending"),
    }
    assert bot.click("handoff.approve", str(opened["id"]), user=seeded.domain).status_code == 200
    state = api.get(f"/api/v1/handoffs/{opened['id']}").json()
    domain = next(s for s in state["signoffs"] if s["role"] == "domain_expert")
    assert (domain["state"], domain["decided_by"]) == ("approved", seeded.domain)
    assert domain["decided_at"] is not None
    assert state["version"] == 2


def test_a_project_reads_back_with_stage_roster_open_handoff_and_monitors(api, db, seeded):
    with db.session() as s:
        monitoring.add_monitor(s, Actor(HOME, seeded.ds), seeded.key, "auc", "min", 0.8)
    opened = _open(api, seeded)
    state = api.get(f"/api/v1/projects/{seeded.key}").json()
    assert state["stage"] == "manage"
    assert state["open_handoff"]["id"] == opened["id"]
    leads = {r["role"]: r["lead"] for r in state["roster"]}
    assert leads["domain_expert"] == seeded.domain
    assert [m["metric"] for m in state["monitors"]] == ["auc"]
    (auc,) = state["monitors"]
    assert (auc["rule"], auc["last_value"], auc["open_alert"]) == ("below 0.8", None, None)


def test_another_workspace_never_sees_a_handoff_or_project(api, bot, db, seeded):
    opened = _open(api, seeded)
    with db.session() as s:
        projects.create_project(s, Actor(OTHER, "UEVE"), "secret-model", "Secret", "CSECRET")
    theirs = Api(bot.url, make_token(db, OTHER, "their-ci"))
    hid = opened["id"]
    started = time.monotonic()
    for response in (
        theirs.get(f"/api/v1/handoffs/{hid}"),
        theirs.get(f"/api/v1/handoffs/{hid}?wait=30&version=1"),
        theirs.get(f"/api/v1/projects/{seeded.key}"),
        theirs.post(f"/api/v1/handoffs/{hid}/cancel", {"cancelled_by": seeded.ds}),
    ):
        assert response.status_code == 404, response.text
        assert set(response.json()) == {"error"}
        assert seeded.domain not in response.text and "Predict churn" not in response.text
    assert time.monotonic() - started < 5, "a foreign long poll does not wait"
    assert api.get("/api/v1/projects/secret-model").status_code == 404
    assert api.get(f"/api/v1/handoffs/{hid}").json()["status"] == "pending"


def test_cancel_by_id_follows_the_rules(api, bot, seeded):
    opened = _open(api, seeded)
    path = f"/api/v1/handoffs/{opened['id']}/cancel"
    refused = api.post(path, {"cancelled_by": seeded.intern})
    assert refused.status_code == 403
    assert api.post(path, {"cancelled_by": "bob"}).status_code == 422
    done = api.post(path, {"cancelled_by": seeded.ds})
    assert (done.status_code, done.json()["status"]) == (200, "cancelled")
    again = api.post(path, {"cancelled_by": seeded.ds})
    assert again.status_code == 409 and "already cancelled" in again.json()["error"]


@pytest.mark.parametrize("query", ["wait=61", "wait=-1", "wait=soon", "version=x", "watch=1"])
def test_bad_wait_parameters_are_field_errors(api, seeded, query):
    opened = _open(api, seeded)
    response = api.get(f"/api/v1/handoffs/{opened['id']}?{query}")
    assert response.status_code == 422
    assert response.json()["errors"][0]["loc"][0] == "query"


def test_a_long_poll_on_a_closed_or_already_changed_handoff_answers_at_once(api, seeded):
    opened = _open(api, seeded)
    started = time.monotonic()
    stale = api.get(f"/api/v1/handoffs/{opened['id']}?wait=30&version=0")
    api.post(f"/api/v1/handoffs/{opened['id']}/cancel", {"cancelled_by": seeded.ds})
    closed = api.get(f"/api/v1/handoffs/{opened['id']}?wait=30&version=2")
    assert (stale.json()["version"], closed.json()["status"]) == (1, "cancelled")
    assert time.monotonic() - started < 5


def test_a_long_poll_times_out_with_the_unchanged_state(api, seeded):
    opened = _open(api, seeded)
    started = time.monotonic()
    response = api.get(f"/api/v1/handoffs/{opened['id']}?wait=1.5&version=1")
    elapsed = time.monotonic() - started
    assert response.json()["version"] == 1
    assert 1.4 <= elapsed < 4, elapsed


def test_long_polls_answer_within_a_second_of_a_click(api, bot, seeded):
    """The median of 20: request, wait on version 1, Approve in Slack, measure, cancel."""
    latencies = []
    for _ in range(20):
        opened = _open(api, seeded)
        future, answered = _poll_in_background(api, opened["id"], opened_version := 1)
        _await_waiting()
        clicked = time.monotonic()
        assert bot.click("handoff.approve", str(opened["id"]), user=seeded.domain).ok
        response = future.result(timeout=10)
        latencies.append(answered[0] - clicked)
        assert response.json()["version"] > opened_version
        assert response.json()["signoffs"][0]["state"] == "approved"
        api.post(f"/api/v1/handoffs/{opened['id']}/cancel", {"cancelled_by": seeded.ds})
    print(
        f"long poll after a click: median {statistics.median(latencies) * 1000:.0f} ms, "
        f"max {max(latencies) * 1000:.0f} ms over 20"
    )
    # Within a second, as promised; well under it, because the commit wakes the poll (the
    # once-a-second re-check alone answers about 1 s after the click).
    assert statistics.median(latencies) < 0.5
    assert max(latencies) < 2.0


def test_a_change_committed_elsewhere_is_seen_by_the_bounded_recheck(api, db, seeded):
    """Another replica's commit fires no event here: the once-a-second re-read catches it."""
    opened = _open(api, seeded)
    future, answered = _poll_in_background(api, opened["id"], 1)
    _await_waiting()
    with db.engine.begin() as conn:  # Core, no ORM session: nothing in-process is woken
        conn.execute(update(Handoff).where(Handoff.id == opened["id"]).values(version=5))
    changed = time.monotonic()
    assert future.result(timeout=10).json()["version"] == 5
    assert answered[0] - changed < handoff_waits.RECHECK_SECONDS + 1.0


def test_waiters_beyond_the_limit_are_refused_not_queued():
    waiters = handoff_waits.Waiters(1)
    release = threading.Event()
    entered = threading.Event()

    def version() -> int:
        entered.set()
        return 1 if not release.is_set() else 2

    holder = threading.Thread(target=waiters.wait_for_change, args=(version, 1, 10))
    holder.start()
    assert entered.wait(5)
    with pytest.raises(handoff_waits.TooManyWaiters):
        waiters.wait_for_change(lambda: 1, 1, 10)
    release.set()
    holder.join(timeout=5)
    assert not holder.is_alive()
    assert waiters.wait_for_change(lambda: 3, 1, 10) is True


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/api/v1/handoffs/1"),
        ("GET", "/api/v1/handoffs/1?wait=30&version=1"),
        ("POST", "/api/v1/handoffs/1/cancel"),
        ("GET", "/api/v1/projects/churn-model"),
    ],
)
def test_the_new_routes_refuse_a_missing_or_unknown_token(api, db, seeded, method, path):
    _open(api, seeded)
    before = db.dump()
    for headers in ({}, {"Authorization": "Bearer baton_" + "x" * 43}):
        started = time.monotonic()
        response = api.call(
            method, path, token=None, headers=headers, json={"cancelled_by": seeded.ds}
        )
        assert response.status_code == 401
        assert time.monotonic() - started < 5, "an unauthenticated caller never waits"
    assert {t: r for t, r in db.dump().items() if t != "api_tokens"} == {
        t: r for t, r in before.items() if t != "api_tokens"
    }
