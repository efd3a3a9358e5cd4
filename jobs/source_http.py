"""One GET of a monitor source, safe against server-side request forgery.

The URL is checked by the one rule (models/sources.py), the host resolved once, every address it
resolves to checked, and the connection made to that checked address (the Host header and TLS
name carry the host name), so a DNS answer that changes between check and connect reaches
nothing. Redirects are not followed; the answer is read in pieces up to a byte limit and a
deadline. No environment proxy is used (it would connect where the check did not look).

Errors say what was wrong, never what came back: a body may hold anything the source saw.
"""

from __future__ import annotations

import contextlib
import ipaddress
import socket
import time
from collections.abc import Callable

import certifi
import urllib3
from urllib3.exceptions import HTTPError, MaxRetryError, NewConnectionError, TimeoutError
from urllib3.util.retry import Retry

from models.sources import IPAddress, SourcePolicy, SourceRefused, SourceTarget

Resolver = Callable[[str, int], list[str]]

MAX_BYTES = 1024 * 1024  # a metrics answer is small; a bigger one is a misconfigured URL
CHUNK = 64 * 1024
RETRIES = 2  # per poll, for refused connections and 502/503/504
RETRY_BACKOFF = 0.1  # seconds, doubled per retry (urllib3's backoff_factor)
CA_BUNDLE = certifi.where()  # the public CAs; read at call time (tests trust their own)
HEADERS = {"Accept": "application/json", "Accept-Encoding": "identity", "User-Agent": "Baton"}


class SourceError(Exception):
    """Why a source gave no value, in words fit for `monitor list`."""


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def get_body(url: str, policy: SourcePolicy, resolve: Resolver | None, timeout: float) -> bytes:
    """The answer's bytes (at most MAX_BYTES), or SourceError saying why there are none."""
    deadline = time.monotonic() + timeout
    try:
        target = policy.check_url(url)
        address = _checked_address(target, policy, resolve or system_resolver)
    except SourceRefused as exc:
        raise SourceError(str(exc)) from None
    try:
        return _download(target, address, timeout, deadline)
    except MaxRetryError as exc:
        # NewConnectionError (refused, unreachable) subclasses ConnectTimeoutError in urllib3 2.
        if isinstance(exc.reason, TimeoutError) and not isinstance(exc.reason, NewConnectionError):
            raise SourceError(f"timed out after {timeout:g}s") from None
        raise SourceError(f"could not fetch: {type(exc.reason).__name__}") from None
    except TimeoutError:
        raise SourceError(f"timed out after {timeout:g}s") from None
    except HTTPError as exc:
        raise SourceError(f"could not fetch: {type(exc).__name__}") from None


def _checked_address(target: SourceTarget, policy: SourcePolicy, resolve: Resolver) -> IPAddress:
    """The address to connect to: the URL's own, or the host's after every one it resolves to
    passed the policy (one refused address refuses the source: the next answer may be it)."""
    if target.address is not None:
        return target.address
    try:
        found = [ipaddress.ip_address(a.split("%")[0]) for a in resolve(target.host, target.port)]
    except (OSError, UnicodeError, ValueError):
        raise SourceRefused(f"'{target.host}' does not resolve") from None
    if not found:
        raise SourceRefused(f"'{target.host}' does not resolve")
    for address in found:
        policy.check_address(target, address)
    return found[0]


def _download(target: SourceTarget, address: IPAddress, timeout: float, deadline: float) -> bytes:
    with contextlib.closing(_pool(target, address, timeout)) as pool:
        response = pool.urlopen(
            "GET",
            target.target,
            headers={**HEADERS, "Host": target.host_header},
            redirect=False,
            preload_content=False,
            assert_same_host=False,
        )
        try:
            _check_status(response.status)
            _check_length(response.headers.get("Content-Length", ""))
            _check_encoding(response.headers.get("Content-Encoding", ""))
            return _read_bounded(response, timeout, deadline)
        finally:
            response.close()


def _pool(target: SourceTarget, address: IPAddress, timeout: float) -> urllib3.HTTPConnectionPool:
    common = {
        "host": address.compressed,
        "port": target.port,
        "timeout": urllib3.Timeout(connect=timeout, read=timeout),
        "retries": _retry(),
        "maxsize": 1,
    }
    if target.scheme == "http":
        return urllib3.HTTPConnectionPool(**common)
    named = target.address is None
    return urllib3.HTTPSConnectionPool(
        **common,
        cert_reqs="CERT_REQUIRED",
        ca_certs=CA_BUNDLE,
        server_hostname=target.host if named else None,
        assert_hostname=target.host if named else None,
    )


def _retry() -> Retry:
    """Retries what a moment may fix (refused connection, 502/503/504), with a short backoff;
    never a read time-out, which would multiply the wait of a hanging source."""
    return Retry(
        connect=RETRIES,
        read=False,  # re-raised as it is: a time-out stays a time-out
        status=RETRIES,
        other=False,
        redirect=False,
        backoff_factor=RETRY_BACKOFF,
        status_forcelist=(502, 503, 504),
        allowed_methods=frozenset({"GET"}),
        raise_on_status=False,
        raise_on_redirect=False,
    )


def _check_status(status: int) -> None:
    if 300 <= status < 400:
        raise SourceError(
            f"the source answered with a redirect (HTTP {status}); Baton does not follow "
            "redirects: give the URL it points to"
        )
    if status >= 400:
        raise SourceError(f"HTTP {status}")


def _check_length(length: str) -> None:
    if length.strip().isdigit() and int(length) > MAX_BYTES:
        raise SourceError(f"the answer is larger than {MAX_BYTES // (1024 * 1024)} MiB")


def _check_encoding(encoding: str) -> None:
    # Asked for identity; a compressed answer could expand past any limit before it is counted.
    if encoding.strip().lower() not in ("", "identity"):
        raise SourceError("the answer is compressed, though Baton asked for it uncompressed")


def _read_bounded(response: urllib3.BaseHTTPResponse, timeout: float, deadline: float) -> bytes:
    """Reads as the bytes come, stopping at the size limit or the deadline: a source that
    trickles one byte a second cannot hold a worker longer than the time-out."""
    body = bytearray()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise SourceError(f"timed out after {timeout:g}s")
        sock = getattr(response.connection, "sock", None)
        if sock is not None:
            sock.settimeout(left)
        chunk = response.read1(CHUNK, decode_content=False)
        if not chunk:
            return bytes(body)
        body += chunk
        if len(body) > MAX_BYTES:
            raise SourceError(f"the answer is larger than {MAX_BYTES // (1024 * 1024)} MiB")
