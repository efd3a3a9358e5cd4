"""Server-side request forgery through monitor sources, at fetch time: the metric pull job against
real loopback HTTP servers, with DNS answered by an injected resolver (the fetcher's only seam).

A source's host is resolved once per fetch, every address checked, and the connection made to
the checked address; redirects are not followed; answers are cut at 1 MiB and at the deadline;
and nothing a source answers reaches the stored error, the audit trail or the logs.
"""

from __future__ import annotations

import contextlib
import gzip
import json
import logging
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from jobs import metrics_pull, source_http
from jobs.context import JobContext
from models import AuditEvent, Monitor, Observation
from models.enums import Role
from models.policy import DEFAULT_POLICY
from models.schemas.base import Actor
from models.schemas.monitoring import MonitorSource
from models.services import monitoring
from models.sources import SourcePolicy
from tests.conftest import Clock, Database
from tests.models.conftest import KEY, LEADS, T, rows, seed_project
from tests.serving import stop_serving

DS = LEADS[Role.DATA_SCIENTIST]
SECRET = "AKIAIOSFODNN7EXAMPLE/wJalrXUtnFEMI/K7MDE"  # AWS's documented example key
Respond = Callable[[BaseHTTPRequestHandler], None]


@dataclass
class Source:
    """A loopback HTTP server answering each path with a function; records what it was asked."""

    port: int = 0
    routes: dict[str, Respond] = field(default_factory=dict)
    asked: list[tuple[str, str]] = field(default_factory=list)  # (path, Host header)
    stop: threading.Event = field(default_factory=threading.Event)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def json(self, path: str, payload: Any, status: int = 200) -> str:
        self.routes[path] = lambda r: _send(r, status, json.dumps(payload).encode())
        return self.url(path)


def _send(r: BaseHTTPRequestHandler, status: int, body: bytes, **headers: str) -> None:
    r.send_response(status)
    r.send_header("Content-Type", "application/json")
    r.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        r.send_header(name, value)
    r.end_headers()
    r.wfile.write(body)


@pytest.fixture
def source() -> Iterator[Source]:
    yield from _serve()


@pytest.fixture
def other() -> Iterator[Source]:
    yield from _serve()


def _serve() -> Iterator[Source]:
    state = Source()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            path = self.path.split("?")[0]
            state.asked.append((path, self.headers.get("Host", "")))
            respond = state.routes.get(path, lambda r: _send(r, 404, b"{}"))
            with contextlib.suppress(OSError):  # the fetcher hung up: the limit under test
                respond(self)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.port = httpd.server_port
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield state
    state.stop.set()
    stop_serving(httpd)
    httpd.server_close()
    thread.join(timeout=5)


@dataclass
class FakeDNS:
    """Answers names from a table; each answer may be a list per call (a rebinding name)."""

    answers: dict[str, list[list[str]]] = field(default_factory=dict)
    calls: list[tuple[str, int]] = field(default_factory=list)

    def __call__(self, host: str, port: int) -> list[str]:
        self.calls.append((host, port))
        queue = self.answers.get(host)
        if not queue:
            raise OSError("no such name")
        return queue.pop(0) if len(queue) > 1 else queue[0]


def seam(*sources: Source) -> SourcePolicy:
    return SourcePolicy(loopback_permitted=frozenset({("127.0.0.1", s.port) for s in sources}))


def context(db: Database, policy: SourcePolicy, dns: FakeDNS | None = None) -> JobContext:
    return JobContext(
        sessions=db.factory, policy=DEFAULT_POLICY, metric_sources=policy, resolve=dns
    )


def watch(db: Database, kind: str, url: str, query: str, policy: SourcePolicy) -> int:
    seed_project(db)
    with db.session() as s:
        view = monitoring.add_monitor(
            s,
            Actor(T, DS),
            KEY,
            "auc",
            "min",
            0.8,
            source=MonitorSource(kind=kind, url=url, query=query),
            sources=policy,
        )
    return view.id


def error_of(db: Database, monitor_id: int) -> str:
    return rows(db, Monitor, Monitor.id == monitor_id)[0].last_error or ""


# -- DNS: checked after resolution, every address, and connected to as checked ---------------


def test_a_name_is_resolved_once_and_the_checked_address_is_the_one_connected_to(
    db: Database, clock: Clock, source: Source
) -> None:
    source.json("/m.json", {"auc": 0.9})
    dns = FakeDNS({"metrics.test": [["127.0.0.1"], ["169.254.169.254"]]})  # then it rebinds
    mid = watch(db, "json", source.url("/m.json", "metrics.test"), "auc", seam(source))
    ctx = context(db, seam(source), dns)
    assert metrics_pull.run(ctx, clock.now()) == 1
    # metrics.test exists in no DNS: the request reached the resolver's checked answer.
    assert source.asked == [("/m.json", f"metrics.test:{source.port}")]
    assert dns.calls == [("metrics.test", source.port)]
    clock.advance(minutes=5)
    assert metrics_pull.run(ctx, clock.now()) == 0  # checked again at the next fetch
    assert "'metrics.test' resolves to a cloud metadata address" in error_of(db, mid)
    assert len(source.asked) == 1 and len(dns.calls) == 2


@pytest.mark.parametrize(
    ("answer", "why"),
    [
        (["169.254.169.254"], "cloud metadata address"),
        (["fd00:ec2::254"], "cloud metadata address"),
        (["127.0.0.1"], "loopback"),
        (["::1"], "loopback"),
        (["::ffff:127.0.0.1"], "loopback"),
        (["0.0.0.0"], "loopback"),
        (["169.254.1.1"], "link-local"),
        (["10.0.0.5"], "private address: the operator can allow it"),
        (["93.184.215.14", "169.254.169.254"], "cloud metadata address"),
    ],
    ids=[
        "metadata",
        "metadata-v6",
        "loopback",
        "::1",
        "mapped",
        "0.0.0.0",
        "link-local",
        "private",
        "one-of-many",
    ],
)
def test_a_name_resolving_to_a_forbidden_address_is_never_fetched(
    db: Database, clock: Clock, source: Source, answer: list[str], why: str
) -> None:
    source.json("/m.json", {"auc": 0.9})
    dns = FakeDNS({"metrics.test": [answer]})
    url = source.url("/m.json", "metrics.test")
    mid = watch(db, "json", url, "auc", SourcePolicy())  # a name: nothing to refuse yet
    assert metrics_pull.run(context(db, SourcePolicy(), dns), clock.now()) == 0
    assert why in error_of(db, mid)
    assert dns.calls == [("metrics.test", source.port)] and source.asked == []
    [failed] = rows(db, AuditEvent, AuditEvent.action == "monitor.source_failed")
    assert why in failed.detail["error"]


ISSUE_FORMS = {
    "metadata IP": "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
    "metadata name": "http://metadata.google.internal/computeMetadata/v1/",
    "database port": "http://127.0.0.1:5432/",
    "loopback IPv6": "http://[::1]:80/",
    "decimal": "http://2852039166/",
    "octal": "http://0251.0376.0251.0376/",
    "userinfo trick": "http://127.0.0.1:1@169.254.169.254/",
}


@pytest.mark.parametrize("url", ISSUE_FORMS.values(), ids=list(ISSUE_FORMS))
def test_a_source_stored_behind_the_commands_back_is_refused_at_fetch(
    db: Database, clock: Clock, source: Source, url: str
) -> None:
    source.json("/m.json", {"auc": 0.9})
    mid = watch(db, "json", source.url("/m.json", "metrics.test"), "auc", SourcePolicy())
    with db.session() as s:
        s.execute(update(Monitor).where(Monitor.id == mid).values(source_url=url))
    dns = FakeDNS({"metrics.test": [["127.0.0.1"]]})
    assert metrics_pull.run(context(db, seam(source), dns), clock.now()) == 0
    assert error_of(db, mid) and "timed out" not in error_of(db, mid)
    assert dns.calls == [] and rows(db, Observation) == []


# -- what a source may answer ----------------------------------------------------------------


def test_a_redirect_to_another_loopback_port_is_not_followed(
    db: Database, clock: Clock, source: Source, other: Source
) -> None:
    target = other.json("/secret", {"auc": 0.1})
    source.routes["/r"] = lambda r: _send(r, 302, b"", Location=target)
    mid = watch(db, "json", source.url("/r"), "auc", seam(source, other))
    assert metrics_pull.run(context(db, seam(source, other)), clock.now()) == 0
    assert "redirect (HTTP 302)" in error_of(db, mid) and "does not follow" in error_of(db, mid)
    assert other.asked == [] and str(other.port) not in error_of(db, mid)


def _prometheus(value: Any) -> str:
    sample = {"metric": {}, "value": [1772442000.0, value]}
    return json.dumps({"status": "success", "data": {"resultType": "vector", "result": [sample]}})


ECHOES = {
    "json field": ("json", json.dumps({"data": {"value": SECRET}}), "data.value", "not a number"),
    "prometheus sample": ("prometheus", _prometheus(SECRET), "up", "not a number"),
    "prometheus error": (
        "prometheus",
        json.dumps({"status": "error", "errorType": SECRET, "error": SECRET}),
        "up",
        "Prometheus refused the query",
    ),
    "not json": ("json", SECRET, "auc", "not JSON"),
    "odd number": ("json", json.dumps({"auc": f"1e{SECRET}"}), "auc", "not a number"),
    "missing field": ("json", json.dumps({SECRET: {SECRET: 1}}), "auc", "no field 'auc'"),
}


@pytest.mark.parametrize(("kind", "body", "query", "why"), ECHOES.values(), ids=list(ECHOES))
def test_no_part_of_the_answer_reaches_the_error_the_audit_or_the_logs(
    db: Database,
    clock: Clock,
    source: Source,
    caplog: pytest.LogCaptureFixture,
    kind: str,
    body: str,
    query: str,
    why: str,
) -> None:
    caplog.set_level(logging.DEBUG)
    path = "/api/v1/query" if kind == "prometheus" else "/m.json"
    source.routes[path] = lambda r: _send(r, 200, body.encode())
    mid = watch(db, kind, source.url("/" if kind == "prometheus" else path), query, seam(source))
    assert metrics_pull.run(context(db, seam(source)), clock.now()) == 0
    assert source.asked, "the source was asked"
    assert why in error_of(db, mid)
    audited = [repr(e.detail) for e in rows(db, AuditEvent)]
    assert any(why in a for a in audited)
    for part in ("AKIA", "wJalr", "K7MDE"):
        assert part not in error_of(db, mid)
        assert not any(part in a for a in audited)
        assert part not in caplog.text


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "streamed"])
def test_an_answer_over_1_mib_is_refused(
    db: Database, clock: Clock, source: Source, declared: bool
) -> None:
    def huge(r: BaseHTTPRequestHandler) -> None:
        r.send_response(200)
        if declared:
            r.send_header("Content-Length", str(50 * 1024 * 1024))
        r.end_headers()
        piece = b" " * 65536
        for _ in range(800):  # 50 MiB if nobody stops reading
            r.wfile.write(piece)

    source.routes["/big.json"] = huge
    mid = watch(db, "json", source.url("/big.json"), "auc", seam(source))
    assert metrics_pull.run(context(db, seam(source)), clock.now()) == 0
    assert error_of(db, mid) == "the answer is larger than 1 MiB"


def test_a_compressed_answer_is_refused_before_it_can_expand(
    db: Database, clock: Clock, source: Source
) -> None:
    bomb = gzip.compress(b"[" + b"0," * 5_000_000 + b"0]")  # 10 MB from about 10 kB
    source.routes["/z.json"] = lambda r: _send(r, 200, bomb, **{"Content-Encoding": "gzip"})
    mid = watch(db, "json", source.url("/z.json"), "0", seam(source))
    assert metrics_pull.run(context(db, seam(source)), clock.now()) == 0
    assert error_of(db, mid) == "the answer is compressed, though Baton asked for it uncompressed"


def test_an_answer_that_trickles_is_cut_at_the_deadline(
    db: Database, clock: Clock, source: Source, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(metrics_pull, "FETCH_TIMEOUT", 0.5)

    def trickle(r: BaseHTTPRequestHandler) -> None:
        r.send_response(200)
        r.end_headers()
        r.wfile.write(b'{"auc": 0.9')
        for _ in range(100):  # 5 s of a byte every 50 ms, well within every read time-out
            if source.stop.wait(0.05):
                return
            r.wfile.write(b" ")
            r.wfile.flush()
        r.wfile.write(b"}")

    source.routes["/slow.json"] = trickle
    mid = watch(db, "json", source.url("/slow.json"), "auc", seam(source))
    started = time.monotonic()
    assert metrics_pull.run(context(db, seam(source)), clock.now()) == 0
    assert time.monotonic() - started < 2.0
    assert error_of(db, mid) == "timed out after 0.5s"


# -- Prometheus: the base URL or the query URL ----------------------------------------------


@pytest.mark.parametrize("given", ["", "/", "/api/v1/query", "/api/v1/query/"])
def test_a_prometheus_base_or_query_url_asks_api_v1_query_exactly_once(
    db: Database, clock: Clock, source: Source, given: str
) -> None:
    source.routes["/api/v1/query"] = lambda r: _send(r, 200, _prometheus("0.93").encode())
    mid = watch(db, "prometheus", source.url(given), "avg(auc)", seam(source))
    assert metrics_pull.run(context(db, seam(source)), clock.now()) == 1
    assert source.asked == [("/api/v1/query", f"127.0.0.1:{source.port}")]
    assert rows(db, Monitor, Monitor.id == mid)[0].last_value == 0.93


# -- https: connected to the checked address, verified against the host's name --------------


@pytest.fixture
def tls_source(tmp_path: Path) -> Iterator[tuple[int, Path, list[str]]]:
    """An https source on loopback with a certificate for metrics.test only."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-subj",
            "/CN=metrics.test",
            "-addext",
            "subjectAltName=DNS:metrics.test",
        ],
        check=True,
        capture_output=True,
    )
    names: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            _send(self, 200, b'{"auc": 0.77}')

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    tls.sni_callback = lambda _sock, name, _ctx: names.append(name or "")  # type: ignore[assignment]
    httpd.socket = tls.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd.server_port, cert, names
    stop_serving(httpd)
    httpd.server_close()
    thread.join(timeout=5)


def test_https_reaches_the_checked_address_and_verifies_the_hosts_name(
    tls_source: tuple[int, Path, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    port, cert, names = tls_source
    policy = SourcePolicy(loopback_permitted=frozenset({("127.0.0.1", port)}))
    dns = FakeDNS({"metrics.test": [["127.0.0.1"]], "other.test": [["127.0.0.1"]]})
    with pytest.raises(metrics_pull.SourceError, match="SSLError"):  # not a public CA's
        metrics_pull.fetch_value(
            "json", f"https://metrics.test:{port}/m", "auc", policy=policy, resolve=dns
        )
    monkeypatch.setattr(source_http, "CA_BUNDLE", str(cert))
    value = metrics_pull.fetch_value(
        "json", f"https://metrics.test:{port}/m", "auc", policy=policy, resolve=dns
    )
    assert value == 0.77 and names[-1] == "metrics.test"
    with pytest.raises(metrics_pull.SourceError, match="SSLError"):  # the name must match
        metrics_pull.fetch_value(
            "json", f"https://other.test:{port}/m", "auc", policy=policy, resolve=dns
        )
