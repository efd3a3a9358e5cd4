"""The metric pull job against a real HTTP server on loopback: Prometheus and JSON sources,
and every way a source can fail without stopping the run.

Loopback is never a source for Baton itself; these tests permit the test server's own port
through the policy's code-only seam (`SourcePolicy(loopback_permitted=...)`)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import update

from jobs import metrics_pull
from jobs.context import JobContext
from models import Alert, AuditEvent, Monitor, Observation, Project
from models.enums import Role, Stage
from models.policy import DEFAULT_POLICY
from models.schemas.base import Actor
from models.schemas.monitoring import MonitorSource
from models.services import monitoring
from models.sources import SourcePolicy
from tests.conftest import Clock, Database
from tests.models.conftest import KEY, LEADS, T, rows, seed_project
from tests.serving import stop_serving

DS = LEADS[Role.DATA_SCIENTIST]


@dataclass
class Route:
    status: int = 200
    body: bytes = b""
    hang: bool = False  # wait for the test to release it: a source that never answers in time
    unavailable_first: int = 0  # answer 503 this many times before the real answer


@dataclass
class MetricsServer:
    """Answers each path with its Route; records the query strings it was asked."""

    routes: dict[str, Route] = field(default_factory=dict)
    asked: list[dict[str, list[str]]] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)
    url: str = ""
    port: int = 0
    paths: list[str] = field(default_factory=list)

    @property
    def policy(self) -> SourcePolicy:
        """Sources may point at this server (and at port 9, where nothing listens)."""
        return SourcePolicy(
            loopback_permitted=frozenset({("127.0.0.1", self.port), ("127.0.0.1", 9)})
        )

    def serve(self, path: str, payload: Any, status: int = 200) -> str:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.routes[path] = Route(status, body)
        return f"{self.url}{path}"

    def hang(self, path: str) -> str:
        self.routes[path] = Route(hang=True, body=b"{}")
        return f"{self.url}{path}"


def _handler(server: MetricsServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            server.asked.append(parse_qs(parts.query))
            server.paths.append(parts.path)
            route = server.routes.get(parts.path, Route(404, b"not found"))
            if route.hang:
                server.release.wait(timeout=30)
            if route.unavailable_first > 0:
                route.unavailable_first -= 1
                route = Route(503, b"busy")
            try:
                self.send_response(route.status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(route.body)))
                self.end_headers()
                self.wfile.write(route.body)
            except OSError:  # the client gave up (the timeout under test)
                pass

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def metrics() -> Iterator[MetricsServer]:
    server = MetricsServer()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(server))
    server.port = httpd.server_port
    server.url = f"http://127.0.0.1:{httpd.server_port}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()  # let any hanging request finish before shutting down
    stop_serving(httpd)
    httpd.server_close()
    thread.join(timeout=5)


@pytest.fixture
def ctx(db: Database, metrics: MetricsServer) -> JobContext:
    return JobContext(sessions=db.factory, policy=DEFAULT_POLICY, metric_sources=metrics.policy)


def prometheus(value: Any) -> dict[str, Any]:
    sample = {"metric": {"__name__": "auc"}, "value": [1772442000.0, value]}
    return {"status": "success", "data": {"resultType": "vector", "result": [sample]}}


def watch(db: Database, sources: SourcePolicy, metric: str, kind: str, url: str, query: str) -> int:
    source = MonitorSource(kind=kind, url=url, query=query)
    with db.session() as s:
        view = monitoring.add_monitor(
            s, Actor(T, DS), KEY, metric, "min", 0.8, source=source, sources=sources
        )
    return view.id


def monitor(db: Database, monitor_id: int) -> Monitor:
    return rows(db, Monitor, Monitor.id == monitor_id)[0]


def test_prometheus_value_is_recorded_and_a_breach_alerts(
    db: Database, clock: Clock, ctx: JobContext, metrics: MetricsServer
) -> None:
    seed_project(db)
    metrics.serve("/api/v1/query", prometheus("0.71"))
    mid = watch(
        db, metrics.policy, "auc", "prometheus", metrics.url + "/", 'avg(model_auc{model="churn"})'
    )
    assert metrics_pull.run(ctx, clock.now()) == 1
    assert metrics.asked == [{"query": ['avg(model_auc{model="churn"})']}]
    assert [(o.value, o.source, o.breach) for o in rows(db, Observation)] == [(0.71, "pull", True)]
    assert [a.status for a in rows(db, Alert)] == ["open"]
    assert monitor(db, mid).next_poll_at == clock.now() + timedelta(seconds=300)


def test_each_monitor_is_polled_on_its_interval(
    db: Database, clock: Clock, ctx: JobContext, metrics: MetricsServer
) -> None:
    seed_project(db)
    watch(db, metrics.policy, "auc", "prometheus", metrics.url, "model_auc")
    metrics.serve("/api/v1/query", prometheus("0.9"))
    assert metrics_pull.run(ctx, clock.now()) == 1
    assert metrics_pull.run(ctx, clock.now() + timedelta(minutes=4)) == 0
    assert metrics_pull.run(ctx, clock.now() + timedelta(minutes=5)) == 1
    assert len(metrics.asked) == 2


@pytest.mark.parametrize(
    ("payload", "path", "expected"),
    [
        ({"metrics": {"auc": 0.83}}, "metrics.auc", 0.83),
        ({"items": [{"value": "0.5"}, {"value": 2}]}, "items.0.value", 0.5),
        ([1, 2, 42], "2", 42.0),
    ],
)
def test_json_sources_follow_the_dotted_path(
    db: Database,
    clock: Clock,
    ctx: JobContext,
    metrics: MetricsServer,
    payload: Any,
    path: str,
    expected: float,
) -> None:
    seed_project(db)
    mid = watch(db, metrics.policy, "auc", "json", metrics.serve("/stats.json", payload), path)
    assert metrics_pull.run(ctx, clock.now()) == 1
    assert monitor(db, mid).last_value == expected


FAILURES = [
    ("server error", Route(500, b"boom"), "prometheus", "HTTP 500"),
    ("not json", Route(200, b"<html>"), "json", "not JSON"),
    (
        "no sample",
        Route(
            200,
            json.dumps(prometheus("1") | {"data": {"resultType": "vector", "result": []}}).encode(),
        ),
        "prometheus",
        "no sample",
    ),
    (
        "not a number",
        Route(200, json.dumps(prometheus("abc")).encode()),
        "prometheus",
        "not a number",
    ),
    (
        "NaN",
        Route(200, json.dumps(prometheus("NaN")).encode()),
        "prometheus",
        "not a finite number",
    ),
    (
        "refused query",
        Route(200, b'{"status": "error", "error": "parse error"}'),
        "prometheus",
        "Prometheus refused the query",
    ),
    ("missing field", Route(200, b'{"metrics": {}}'), "json", "no field 'metrics.auc'"),
    ("a boolean", Route(200, b'{"metrics": {"auc": true}}'), "json", "not a number"),
    (
        "odd shape",
        Route(200, b'{"status": "success", "data": {"result": [{"v": 1}]}}'),
        "prometheus",
        "unexpected Prometheus answer",
    ),
]


@pytest.mark.parametrize(
    ("route", "kind", "error"), [f[1:] for f in FAILURES], ids=[f[0] for f in FAILURES]
)
def test_a_failing_source_is_kept_on_the_monitor_and_others_still_poll(
    db: Database,
    clock: Clock,
    ctx: JobContext,
    metrics: MetricsServer,
    route: Route,
    kind: str,
    error: str,
) -> None:
    seed_project(db)
    metrics.routes["/api/v1/query" if kind == "prometheus" else "/bad.json"] = route
    bad = watch(
        db,
        metrics.policy,
        "auc",
        kind,
        metrics.url + ("" if kind == "prometheus" else "/bad.json"),
        "metrics.auc" if kind == "json" else "up",
    )
    good = watch(
        db, metrics.policy, "recall", "json", metrics.serve("/good.json", {"recall": 0.9}), "recall"
    )
    assert metrics_pull.run(ctx, clock.now()) == 1
    assert error in (monitor(db, bad).last_error or "")
    assert monitor(db, good).last_value == 0.9
    assert [o.monitor_id for o in rows(db, Observation)] == [good]
    failed = rows(db, AuditEvent, AuditEvent.action == "monitor.source_failed")
    assert [e.detail["monitor_id"] for e in failed] == [bad]


def test_a_source_that_does_not_answer_in_time_times_out(
    db: Database,
    clock: Clock,
    ctx: JobContext,
    metrics: MetricsServer,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seed_project(db)
    monkeypatch.setattr(metrics_pull, "FETCH_TIMEOUT", 0.3)
    mid = watch(db, metrics.policy, "auc", "json", metrics.hang("/slow.json"), "auc")
    assert metrics_pull.run(ctx, clock.now()) == 0
    assert monitor(db, mid).last_error == "timed out after 0.3s"


def test_a_briefly_unavailable_source_is_retried_within_the_same_poll(
    db: Database, clock: Clock, ctx: JobContext, metrics: MetricsServer
) -> None:
    seed_project(db)
    url = metrics.serve("/flaky.json", {"auc": 0.91})
    metrics.routes["/flaky.json"].unavailable_first = metrics_pull.RETRIES
    mid = watch(db, metrics.policy, "auc", "json", url, "auc")
    assert metrics_pull.run(ctx, clock.now()) == 1
    assert len(metrics.asked) == metrics_pull.RETRIES + 1
    assert monitor(db, mid).last_error is None and monitor(db, mid).last_value == 0.91


def test_a_source_unavailable_past_its_retries_reports_the_status(
    db: Database, clock: Clock, ctx: JobContext, metrics: MetricsServer
) -> None:
    seed_project(db)
    url = metrics.serve("/down.json", {"auc": 0.91})
    metrics.routes["/down.json"].unavailable_first = metrics_pull.RETRIES + 1
    mid = watch(db, metrics.policy, "auc", "json", url, "auc")
    assert metrics_pull.run(ctx, clock.now()) == 0
    assert "503" in (monitor(db, mid).last_error or "")


def test_an_unreachable_source_and_recovery(
    db: Database, clock: Clock, ctx: JobContext, metrics: MetricsServer
) -> None:
    seed_project(db)
    mid = watch(db, metrics.policy, "auc", "json", "http://127.0.0.1:9/nothing-listens", "auc")
    metrics_pull.run(ctx, clock.now())
    assert (monitor(db, mid).last_error or "").startswith("could not fetch")
    with db.session() as s:
        s.execute(
            update(Monitor)
            .where(Monitor.id == mid)
            .values(source_url=metrics.serve("/ok.json", {"auc": 0.9}))
        )
    metrics_pull.run(ctx, clock.now() + timedelta(minutes=5))
    assert monitor(db, mid).last_error is None and monitor(db, mid).last_value == 0.9


def test_removed_unsourced_and_archived_monitors_are_not_polled(
    db: Database, clock: Clock, ctx: JobContext, metrics: MetricsServer
) -> None:
    seed_project(db)
    url = metrics.serve("/m.json", {"auc": 0.9, "recall": 0.9})
    watch(db, metrics.policy, "auc", "json", url, "auc")
    with db.session() as s:
        monitoring.remove_monitor(s, Actor(T, DS), KEY, "auc")
        monitoring.add_monitor(s, Actor(T, DS), KEY, "f1", "min", 0.5)  # typed in by hand
    seed_project(db, key="fraud-model")
    with db.session() as s:
        monitoring.add_monitor(
            s,
            Actor(T, DS),
            "fraud-model",
            "recall",
            "min",
            0.5,
            source=MonitorSource(kind="json", url=url, query="recall"),
            sources=metrics.policy,
        )
        s.execute(update(Project).where(Project.key == "fraud-model").values(stage=Stage.ARCHIVED))
    assert metrics_pull.run(ctx, clock.now()) == 0
    assert metrics.asked == []
