"""The one rule of where a monitor source may point (models/sources.py), form by form."""

from __future__ import annotations

import ipaddress

import pytest

from bot.config import ConfigError, load_settings
from bot.runtime import Runtime
from bot.scheduler import job_context
from models.sources import (
    SourcePolicy,
    SourceRefused,
    parse_source_url,
    prometheus_query,
    shown_error,
)

# Every form the issue names, and their cousins: refused whatever the operator allows.
ALWAYS_REFUSED = {
    "metadata IP": (
        "http://169.254.169.254/latest/meta-data/iam/security-credentials/",
        "metadata",
    ),
    "metadata name": ("http://metadata.google.internal/computeMetadata/v1/", "metadata"),
    "metadata name, root dot": ("http://metadata.google.internal./", "metadata"),
    "metadata IPv6 (AWS)": ("http://[fd00:ec2::254]/", "metadata"),
    "metadata (Alibaba)": ("http://100.100.100.200/latest/meta-data/", "metadata"),
    "loopback port of the database": ("http://127.0.0.1:5432/", "loopback"),
    "loopback IPv6": ("http://[::1]:80/", "loopback"),
    "localhost": ("http://localhost:8080/", "this machine"),
    "a .localhost name": ("http://api.localhost/", "this machine"),
    "0.0.0.0": ("http://0.0.0.0:3000/", "loopback"),
    "::": ("http://[::]/", "loopback"),
    "IPv4-mapped loopback": ("http://[::ffff:127.0.0.1]/", "loopback"),
    "IPv4-mapped metadata, hex": ("http://[::ffff:a9fe:a9fe]/", "metadata"),
    "NAT64 metadata": ("http://[64:ff9b::a9fe:a9fe]/", "metadata"),
    "6to4 metadata": ("http://[2002:a9fe:a9fe::]/", "metadata"),
    "link-local": ("http://169.254.10.1/", "link-local"),
    "link-local IPv6": ("http://[fe80::1]/", "link-local"),
    "IPv6 zone": ("http://[fe80::1%25eth0]/", "zone"),
    "decimal": ("http://2852039166/", "four decimal numbers"),
    "octal": ("http://0251.0376.0251.0376/", "four decimal numbers"),
    "hex": ("http://0xa9fea9fe/", "four decimal numbers"),
    "short form": ("http://127.1/", "four decimal numbers"),
    "leading zero": ("http://127.0.0.01/", "four decimal numbers"),
    "percent-encoded host": ("http://%31%32%37.0.0.1/", "four decimal numbers"),
    "userinfo trick": ("http://127.0.0.1:1@169.254.169.254/", "user name or password"),
    "any userinfo": ("https://user:secret@metrics.example/x.json", "user name or password"),
    "file scheme": ("file:///etc/passwd", "http:// or https://"),
    "gopher scheme": ("gopher://127.0.0.1:6379/_INFO", "http:// or https://"),
    "backslash": ("http://metrics.example\\@169.254.169.254/", "backslashes"),
    "bad port": ("http://metrics.example:99999/", "port"),
    "broken IPv6": ("http://[::1/", "malformed"),
}
PRIVATE = [
    "http://10.0.0.5:9090/",
    "http://172.16.3.4/",
    "http://192.168.1.10/",
    "http://[fd12::1]/",
]


@pytest.mark.parametrize(("url", "why"), ALWAYS_REFUSED.values(), ids=list(ALWAYS_REFUSED))
def test_every_form_is_refused_even_when_the_operator_allows_everything_private(
    url: str, why: str
) -> None:
    generous = SourcePolicy.from_setting("10.0.0.0/8, 100.64.0.0/10, fc00::/7, .example")
    with pytest.raises(SourceRefused, match=why):
        generous.check_url(url)


@pytest.mark.parametrize("url", PRIVATE)
def test_private_addresses_need_the_operators_allowance(url: str) -> None:
    with pytest.raises(SourceRefused, match="BATON_METRIC_SOURCES_ALLOW"):
        SourcePolicy().check_url(url)
    allowing = SourcePolicy.from_setting("10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, fc00::/7")
    assert allowing.check_url(url).address is not None


def test_names_are_allowed_exactly_or_by_domain_and_every_resolved_address_is_checked() -> None:
    policy = SourcePolicy.from_setting("prom.internal, *.svc.cluster.local")
    private = ipaddress.ip_address("10.1.2.3")
    for url in ("http://prom.internal:9090/", "http://prom.monitoring.svc.cluster.local/"):
        policy.check_address(policy.check_url(url), private)
    other = policy.check_url("http://grafana.internal/")
    with pytest.raises(SourceRefused, match=r"'grafana\.internal' resolves to a private address"):
        policy.check_address(other, private)
    allowed = policy.check_url("http://prom.internal/")
    with pytest.raises(SourceRefused, match="metadata"):  # an allowed name still cannot reach it
        policy.check_address(allowed, ipaddress.ip_address("169.254.169.254"))
    with pytest.raises(SourceRefused, match="loopback"):
        policy.check_address(allowed, ipaddress.ip_address("::ffff:127.0.0.1"))


def test_public_hosts_and_addresses_pass() -> None:
    policy = SourcePolicy()
    assert policy.check_url("https://metrics.example/churn.json").host == "metrics.example"
    assert policy.check_url("http://93.184.215.14:8080/x").host_header == "93.184.215.14:8080"
    target = policy.check_url("https://[2606:4700::1111]/m")
    assert (target.host_header, target.port) == ("[2606:4700::1111]", 443)


@pytest.mark.parametrize(
    "entry", ["127.0.0.0/8", "0.0.0.0/0", "::/0", "169.254.0.0/16", "fe80::/10", "::1", "localhost"]
)
def test_the_setting_cannot_allow_loopback_or_link_local(entry: str) -> None:
    with pytest.raises(ConfigError, match="BATON_METRIC_SOURCES_ALLOW"):
        load_settings(baton_metric_sources_allow=f"10.0.0.0/8, {entry}", _env_file=None)


def test_the_setting_reaches_the_policy() -> None:
    settings = load_settings(baton_metric_sources_allow="10.0.0.0/8, prom.internal", _env_file=None)
    policy = settings.metric_sources()
    assert policy.check_url("http://10.9.8.7/").address == ipaddress.ip_address("10.9.8.7")
    assert policy.hosts == ("prom.internal",)
    assert load_settings(_env_file=None).metric_sources() == SourcePolicy()


def test_the_setting_reaches_the_commands_and_the_metric_pull_job() -> None:
    settings = load_settings(
        baton_database_url="sqlite://", baton_metric_sources_allow="10.0.0.0/8", _env_file=None
    )
    rt = Runtime.from_settings(settings)
    for policy in (rt.metric_sources, job_context(rt).metric_sources):
        assert policy is not None and policy.check_url("http://10.0.0.7/").port == 80
    rt.engine.dispose()


def test_only_code_can_permit_one_loopback_port_and_only_loopback() -> None:
    seam = SourcePolicy(loopback_permitted=frozenset({("127.0.0.1", 8123)}))
    assert seam.check_url("http://127.0.0.1:8123/m.json").port == 8123
    with pytest.raises(SourceRefused, match="loopback"):
        seam.check_url("http://127.0.0.1:5432/")
    with pytest.raises(ValueError, match="not a loopback address"):
        SourcePolicy(loopback_permitted=frozenset({("169.254.169.254", 80)}))


@pytest.mark.parametrize(
    "url",
    [
        "http://prom:9090",
        "http://prom:9090/",
        "http://prom:9090/api/v1/query",
        "http://prom:9090/api/v1/query/",
    ],
)
def test_a_prometheus_base_url_or_query_url_asks_the_query_endpoint_once(url: str) -> None:
    assert prometheus_query(url, 'avg(auc{m="x"})') == (
        "http://prom:9090/api/v1/query?query=avg%28auc%7Bm%3D%22x%22%7D%29"
    )


def test_a_prometheus_url_under_a_prefix_keeps_it_and_takes_no_query_string() -> None:
    assert prometheus_query("https://o.example/prom/", "up").endswith("/prom/api/v1/query?query=up")
    with pytest.raises(SourceRefused, match="no query string"):
        prometheus_query("http://prom:9090/api/v1/query?query=up", "up")


def test_the_form_rule_needs_no_policy() -> None:
    target = parse_source_url("HTTP://Metrics.Example:8080/a?b=1")
    assert (target.scheme, target.host, target.port, target.target) == (
        "http",
        "metrics.example",
        8080,
        "/a?b=1",
    )


def test_errors_stored_before_the_fix_lose_their_quote() -> None:
    leaked = "the value is not a number: AKIAIOSFODNN7EXAMPLE/wJalrXUtnFEMI/K7MDE"
    assert shown_error(leaked) == "the value is not a number"
    assert shown_error("Prometheus refused the query: secret") == "Prometheus refused the query"
    assert shown_error("HTTP 502") == "HTTP 502" and shown_error(None) is None
