"""Where a monitor source may point: the one rule the command parser, the monitoring service and
the metric fetcher all apply, so every way in refuses the same URLs.

Loopback, link-local and cloud metadata addresses are always refused; other non-public ranges
(10/8, 172.16/12, 192.168/16, 100.64/10, fc00::/7 …) only pass when the operator allows them
(BATON_METRIC_SOURCES_ALLOW: host names and CIDRs). Only code can permit one loopback host:port
(tests, through `SourcePolicy(loopback_permitted=...)`); no setting can.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

ALLOW_SETTING = "BATON_METRIC_SOURCES_ALLOW"
PROMETHEUS_QUERY_PATH = "/api/v1/query"

# Never a source, whatever the operator allows: this machine, its link, its cloud's metadata.
_NEVER = tuple(
    ipaddress.ip_network(n)
    for n in (
        "0.0.0.0/8",  # "this network"; 0.0.0.0 reaches this host
        "127.0.0.0/8",
        "169.254.0.0/16",  # link-local, where AWS, GCP, Azure and OpenStack serve metadata
        "224.0.0.0/4",  # multicast
        "240.0.0.0/4",  # reserved, and 255.255.255.255
        "::/128",
        "::1/128",
        "fe80::/10",
        "fec0::/10",  # deprecated site-local
        "ff00::/8",
    )
)
_METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a)
    for a in (
        "169.254.169.254",
        "169.254.170.2",  # AWS ECS task metadata
        "169.254.170.23",
        "fd00:ec2::254",  # AWS IMDS over IPv6
        "fd00:ec2::23",
        "100.100.100.200",  # Alibaba Cloud
        "192.0.0.192",  # Oracle Cloud
    )
)
_NEVER_NAMES = frozenset(
    {
        "localhost",
        "localhost.localdomain",
        "ip6-localhost",
        "ip6-loopback",
        "metadata",
        "metadata.google.internal",
        "metadata.goog",
        "instance-data",
        "instance-data.ec2.internal",
        "metadata.azure.internal",
        "metadata.tencentyun.com",
    }
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_V4_COMPATIBLE = ipaddress.ip_network("::/96")
_NAME = re.compile(r"(?=.{1,253}$)([a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)(\.[a-z0-9_-]{1,63})*")
_DOTTED_QUAD = re.compile(
    r"(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}"
)
_NUMERIC_LABEL = re.compile(r"0x[0-9a-f]*|\d+")


# Before the fix these errors quoted what the source answered (up to 40 characters of it, enough
# for a cloud secret key). Rows stored then are shown without the quote.
_QUOTING_ERRORS = (
    "the value is not a number: ",
    "the value is not a finite number: ",
    "Prometheus refused the query: ",
)


def shown_error(error: str | None) -> str | None:
    """A stored pull error as it may be shown: never a fragment of a fetched answer."""
    for prefix in _QUOTING_ERRORS if error else ():
        if error is not None and error.startswith(prefix):
            return prefix.removesuffix(": ")
    return error


class SourceRefused(ValueError):
    """A source URL or address Baton will not fetch, in words fit for the user."""


@dataclass(frozen=True)
class SourceTarget:
    """A checked source URL, split the way the fetcher connects: to `host` (a name or an
    address) at `port`, asking for `target` with `host_header`."""

    scheme: str
    host: str
    port: int
    target: str  # path and query string
    address: IPAddress | None  # set when the URL names an address rather than a host name

    @property
    def host_header(self) -> str:
        shown = f"[{self.host}]" if self.address is not None and self.address.version == 6 else ""
        shown = shown or self.host
        default = 443 if self.scheme == "https" else 80
        return shown if self.port == default else f"{shown}:{self.port}"


def parse_source_url(url: str) -> SourceTarget:
    """The URL's parts, or SourceRefused for anything but a plain http(s) URL of a host."""
    if any(ch.isspace() or ord(ch) < 32 or ch == "\\" for ch in url):
        raise SourceRefused("the source URL holds spaces, control characters or backslashes")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise SourceRefused("the source URL is malformed") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise SourceRefused("the source URL must start with http:// or https://")
    if "@" in parts.netloc:
        raise SourceRefused("the source URL must not hold a user name or password (user@host)")
    try:
        port = parts.port
    except ValueError:
        raise SourceRefused("the source URL's port is not a number from 1 to 65535") from None
    scheme = parts.scheme.lower()
    host, address = _host_of(parts.netloc, parts.hostname or "")
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return SourceTarget(scheme, host, port or (443 if scheme == "https" else 80), target, address)


def prometheus_query(url: str, promql: str) -> str:
    """The instant-query URL of a Prometheus source given as the server's base URL
    (`http://prom:9090`, or a prefix such as `https://x/prometheus`) or as its query endpoint
    (`http://prom:9090/api/v1/query`): either way `/api/v1/query` is asked once."""
    base = urlsplit(url)
    if base.query or base.fragment:
        raise SourceRefused("a Prometheus URL takes no query string: give the PromQL after it")
    path = base.path.rstrip("/")
    if not path.endswith(PROMETHEUS_QUERY_PATH):
        path += PROMETHEUS_QUERY_PATH
    return base._replace(path=path, query=urlencode({"query": promql})).geturl()


def _host_of(netloc: str, hostname: str) -> tuple[str, IPAddress | None]:
    if not hostname:
        raise SourceRefused("the source URL names no host")
    if netloc.split(":")[0].startswith("[") or ":" in hostname:
        if "%" in hostname:
            raise SourceRefused("the source URL's IPv6 address has a zone (%): not a source")
        try:
            return hostname, ipaddress.IPv6Address(hostname)
        except ValueError:
            raise SourceRefused(f"'{hostname}' is not an IPv6 address") from None
    host = hostname.rstrip(".").lower()
    labels = host.split(".")
    if labels and _NUMERIC_LABEL.fullmatch(labels[-1]):
        # Ends in a number, so it is an IPv4 address to every resolver. Only one spelling is
        # accepted: 2852039166, 0251.0376.0251.0376 and 127.1 mean addresses nobody can read.
        if not _DOTTED_QUAD.fullmatch(host):
            raise SourceRefused(
                f"'{hostname}' is not an IPv4 address written as four decimal numbers "
                "(a.b.c.d without leading zeros)"
            )
        return host, ipaddress.IPv4Address(host)
    if not _NAME.fullmatch(host):
        raise SourceRefused(
            f"'{hostname}' is not a host name: letters, digits, '-' and '.' "
            "(write an international name in its xn-- form)"
        )
    return host, None


def _embedded_v4(address: IPAddress) -> list[IPAddress]:
    """The IPv4 addresses an IPv6 one carries (mapped, 6to4, Teredo, NAT64, compatible):
    `::ffff:127.0.0.1` reaches loopback as surely as 127.0.0.1."""
    if address.version == 4:
        return []
    assert isinstance(address, ipaddress.IPv6Address)
    found: list[IPAddress] = []
    if address.ipv4_mapped is not None:
        found.append(address.ipv4_mapped)
    if address.sixtofour is not None:
        found.append(address.sixtofour)
    if address.teredo is not None:
        found.extend(address.teredo)
    if address in _NAT64 or (address in _V4_COMPATIBLE and int(address) > 1):
        found.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
    return found


def never_reason(address: IPAddress) -> str | None:
    """Why an address is never a source (loopback, link-local, metadata …), or None."""
    for a in (address, *_embedded_v4(address)):
        if a in _METADATA_ADDRESSES:
            return "a cloud metadata address"
        if a.is_loopback or any(a in n for n in _NEVER if n.version == a.version):
            return "a loopback, link-local or reserved address"
    return None


def _is_public(address: IPAddress) -> bool:
    return address.is_global and all(a.is_global for a in _embedded_v4(address))


def never_name(host: str) -> bool:
    host = host.rstrip(".").lower()
    return host in _NEVER_NAMES or host.endswith(".localhost")


@dataclass(frozen=True)
class SourcePolicy:
    """Which non-public addresses the operator allows; safe by default (none)."""

    networks: tuple[IPNetwork, ...] = ()
    hosts: tuple[str, ...] = ()  # exact names, or ".suffix" for a domain and its sub-domains
    # Code only (tests): exact loopback address and port pairs, e.g. ("127.0.0.1", 8123).
    loopback_permitted: frozenset[tuple[str, int]] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        for address, _ in self.loopback_permitted:
            if not ipaddress.ip_address(address).is_loopback:
                raise ValueError(f"{address} is not a loopback address")

    @classmethod
    def from_setting(cls, text: str) -> SourcePolicy:
        """`10.0.0.0/8, prom.internal, .svc.cluster.local`; ValueError for an entry that would
        allow loopback, link-local or metadata addresses, or that is neither name nor CIDR."""
        networks: list[IPNetwork] = []
        hosts: list[str] = []
        for entry in (e.strip().lower() for e in text.split(",")):
            if not entry:
                continue
            if "/" in entry or _looks_like_address(entry):
                networks.append(_allowed_network(entry))
            elif never_name(entry.lstrip("*.")) or not _NAME.fullmatch(entry.lstrip("*.")):
                raise ValueError(f"'{entry}' is not a host name Baton may fetch from")
            else:
                hosts.append("." + entry[2:] if entry.startswith("*.") else entry)
        return cls(tuple(networks), tuple(hosts))

    def check_source(self, kind: str, url: str) -> SourceTarget:
        """A source as it is set: its URL as the fetcher will ask it."""
        return self.check_url(prometheus_query(url, "up") if kind == "prometheus" else url)

    def check_url(self, url: str) -> SourceTarget:
        """The checks that need no DNS: form, names and addresses written in the URL."""
        target = parse_source_url(url)
        if never_name(target.host):
            raise SourceRefused(f"'{target.host}' is this machine or a cloud metadata service")
        if target.address is not None:
            self.check_address(target, target.address)
        return target

    def check_address(self, target: SourceTarget, address: IPAddress) -> None:
        """One address the source's host resolves to (every one is checked, after DNS)."""
        if (address.compressed, target.port) in self.loopback_permitted:
            return
        said = "it is" if target.address is not None else f"'{target.host}' resolves to"
        if why := never_reason(address):
            raise SourceRefused(f"{said} {why}: Baton never fetches from there")
        if _is_public(address) or self._allows(target.host, address):
            return
        raise SourceRefused(
            f"{said} a private address: the operator can allow it with {ALLOW_SETTING}"
        )

    def _allows(self, host: str, address: IPAddress) -> bool:
        if any(host == h or (h.startswith(".") and host.endswith(h)) for h in self.hosts):
            return True
        return any(address in n for n in self.networks if n.version == address.version)


def _looks_like_address(entry: str) -> bool:
    try:
        ipaddress.ip_address(entry)
    except ValueError:
        return False
    return True


def _allowed_network(entry: str) -> IPNetwork:
    try:
        network = ipaddress.ip_network(entry, strict=False)
    except ValueError:
        raise ValueError(f"'{entry}' is not a CIDR such as 10.0.0.0/8") from None
    # Metadata addresses inside an allowed range (100.64/10, fc00::/7) stay refused one by one.
    if any(network.overlaps(n) for n in _NEVER if n.version == network.version):
        raise ValueError(
            f"'{entry}' covers loopback, link-local or metadata addresses, which are never allowed"
        )
    return network
