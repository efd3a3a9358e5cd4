"""Monitor sources through the signed Slack command: every forbidden form refused when it is set,
nothing a source answered ever read back, and sources shown only to the project's members."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from bot.config import load_settings
from jobs import metrics_pull
from jobs.context import JobContext
from models import AuditEvent, Monitor
from models.policy import DEFAULT_POLICY
from models.schemas.base import Actor
from models.schemas.monitoring import MonitorSource
from models.services import monitoring
from models.sources import SourcePolicy
from tests.serving import stop_serving
from tests.slackbot.conftest import ADMIN
from tests.slackbot.flow import text_of
from tests.slackbot.harness import HOME

SECRET = "AKIAIOSFODNN7EXAMPLE/wJalrXUtnFEMI/K7MDE"

SET_TIME = {
    "metadata IP": (
        "<http://169.254.169.254/latest/meta-data/iam/security-credentials/>",
        "cloud metadata address",
    ),
    "metadata name": (
        "http://metadata.google.internal/computeMetadata/v1/",
        "'metadata.google.internal' is this machine or a cloud metadata service",
    ),
    "database port": ("<http://127.0.0.1:5432/>", "loopback"),
    "loopback IPv6": ("http://[::1]:80/", "loopback"),
    "localhost": ("<http://localhost:3000/healthz>", "this machine"),
    "decimal": ("http://2852039166/", "'2852039166' is not an IPv4 address written as four"),
    "octal": ("http://0251.0376.0251.0376/", "is not an IPv4 address written as four"),
    "userinfo trick": ("http://127.0.0.1:1@169.254.169.254/", "user name or password"),
    "private, not allowed": ("http://10.0.0.5:9090/", "BATON_METRIC_SOURCES_ALLOW"),
    "not http": ("<ftp://metrics.example/x>", "http:// or https://"),
}


@pytest.mark.parametrize(("url", "why"), SET_TIME.values(), ids=list(SET_TIME))
def test_a_forbidden_source_is_refused_when_set_and_nothing_changes(
    bot, slack, db, seeded, url: str, why: str
) -> None:
    before = db.dump()
    reply = bot.reply(f"monitor add {seeded.key} auc min 0.5 json {url} data.value", user=seeded.ds)
    said = text_of(reply)
    assert reply["response_type"] == "ephemeral"
    assert why in said and "Monitoring" not in said
    assert db.dump() == before


def test_a_private_source_passes_once_the_operator_allows_its_range(bot, slack, db, seeded):
    command = f"monitor add {seeded.key} auc min 0.5 prometheus http://10.0.0.5:9090 up"
    assert "BATON_METRIC_SOURCES_ALLOW" in text_of(bot.reply(command, user=seeded.ds))
    allowing = load_settings(baton_metric_sources_allow="10.0.0.0/8", _env_file=None)
    bot.baton.rt.metric_sources = allowing.metric_sources()
    assert "Baton polls prometheus" in text_of(bot.reply(command, user=seeded.ds))
    loopback = f"monitor add {seeded.key} f1 min 0.5 json <http://127.0.0.1:5432/> x"
    assert "loopback" in text_of(bot.reply(loopback, user=seeded.ds))  # still, always


def test_a_linked_url_with_an_ampersand_is_stored_as_typed(bot, slack, db, seeded):
    linked = "<https://m.example/q.json?team=ml&amp;model=churn|m.example/q.json?team=ml&amp;…>"
    reply = bot.reply(f"monitor add {seeded.key} auc min 0.5 json {linked} v", user=seeded.ds)
    # Shown back escaped for mrkdwn, as Slack wants it: the & of the URL, not the markup's.
    assert "Baton polls json `https://m.example/q.json?team=ml&amp;model=churn`" in text_of(reply)
    with db.session() as s:
        stored = s.scalars(select(Monitor.source_url)).one()
    assert stored == "https://m.example/q.json?team=ml&model=churn"


def test_help_says_a_prometheus_url_may_be_the_base_or_the_query_endpoint(bot, slack, seeded):
    said = text_of(bot.reply("help monitor add", user=seeded.ds))
    assert "base URL (http://prom:9090) or its query endpoint (http://prom:9090/api/v1/query)" in (
        said
    )


# -- what a source answered never comes back --------------------------------------------------


@pytest.fixture
def echoing() -> Iterator[str]:
    """A loopback source answering a fake AWS key where the number should be."""
    body = json.dumps({"data": {"value": SECRET}}).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}/creds.json"
    stop_serving(httpd)
    httpd.server_close()
    thread.join(timeout=5)


def test_an_echoed_secret_reaches_neither_slack_nor_the_audit_trail_nor_the_logs(
    bot, slack, db, seeded, clock, echoing: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    port = int(echoing.split(":")[2].split("/")[0])
    permit = SourcePolicy(loopback_permitted=frozenset({("127.0.0.1", port)}))
    with db.session() as s:
        source = MonitorSource(kind="json", url=echoing, query="data.value")
        monitoring.add_monitor(
            s, Actor(HOME, seeded.ds), seeded.key, "auc", "min", 0.5, source=source, sources=permit
        )
    ctx = JobContext(sessions=db.factory, policy=DEFAULT_POLICY, metric_sources=permit)
    assert metrics_pull.run(ctx, clock.now()) == 0
    listed = text_of(bot.reply(f"monitor list {seeded.key}", user=seeded.ds))
    assert "last pull failed: the value of 'data.value' is not a number" in listed
    history = text_of(bot.answer(f"history {seeded.key}", user=seeded.ds))
    assert "The source of auc started failing" in history
    bot.deliver()
    with db.session() as s:
        audited = [repr(d) for d in s.scalars(select(AuditEvent.detail))]
    sent = json.dumps([c.params for c in slack.calls])
    for part in ("AKIA", "wJalr", "K7MDE"):
        for where in (listed, history, sent, caplog.text, *audited):
            assert part not in where


def test_an_error_stored_before_the_fix_is_shown_without_its_quote(bot, slack, db, seeded, clock):
    bot.reply(
        f"monitor add {seeded.key} auc min 0.5 json https://m.example/x.json v", user=seeded.ds
    )
    with db.session() as s:
        monitor_id = s.scalars(select(Monitor.id)).one()
        monitoring.pull_failed(s, monitor_id, f"the value is not a number: {SECRET}", clock.now())
    listed = text_of(bot.reply(f"monitor list {seeded.key}", user=seeded.ds))
    history = text_of(bot.answer(f"history {seeded.key}", user=seeded.ds))
    assert "last pull failed: the value is not a number" in listed
    assert "AKIA" not in listed and "AKIA" not in history


# -- who sees where a source points ---------------------------------------------------------


def test_monitor_list_shows_sources_to_members_and_admins_only(bot, slack, db, seeded):
    url = "https://metrics.internal.example/churn.json"
    bot.reply(f"monitor add {seeded.key} auc min 0.8 json <{url}> data.auc", user=seeded.ds)
    for reader in (seeded.intern, seeded.ds, ADMIN):
        said = text_of(bot.reply(f"monitor list {seeded.key}", user=reader))
        assert f"pulled from json `{url}`" in said, reader
    outsider = text_of(bot.reply(f"monitor list {seeded.key}", user="UNOBODY"))
    assert "*auc* alerts below 0.8" in outsider
    assert "metrics.internal.example" not in outsider and "data.auc" not in outsider
    assert "pulled from json; its members see where from" in outsider
