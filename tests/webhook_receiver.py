"""A webhook receiver on loopback: records every delivery, fails the next ones on demand, and
verifies Baton's signature the way a subscriber would (independently of Baton's code)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

from tests.serving import stop_serving

T = TypeVar("T")


@dataclass
class Delivery:
    headers: dict[str, str]
    body: bytes
    status: int

    @property
    def event(self) -> dict[str, Any]:
        return json.loads(self.body)


class Receiver:
    def __init__(self) -> None:
        self.deliveries: list[Delivery] = []
        self._fail: list[int] = []
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._cond:
                    status = receiver._fail.pop(0) if receiver._fail else 204
                    receiver.deliveries.append(Delivery(dict(self.headers), body, status))
                    receiver._cond.notify_all()
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_port}/hook"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> Receiver:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        stop_serving(self._server)
        self._server.server_close()

    def fail_next(self, times: int, status: int = 500) -> None:
        with self._cond:
            self._fail += [status] * times

    def accepted(self) -> list[Delivery]:
        with self._cond:
            return [d for d in self.deliveries if d.status < 300]

    def wait_for(self, predicate: Callable[[], T], timeout: float = 10) -> T:
        with self._cond:
            result = self._cond.wait_for(predicate, timeout)
        if not result:
            raise TimeoutError(f"not within {timeout}s: {len(self.deliveries)} deliveries")
        return result


def signature_ok(secret: str, d: Delivery, now: float | None = None, max_age: int = 300) -> bool:
    """Standard Webhooks: v1,base64(HMAC-SHA256(secret, "<id>.<timestamp>.<body>"))."""
    delivery, stamp = d.headers["X-Baton-Delivery-Id"], d.headers["X-Baton-Timestamp"]
    if abs((time.time() if now is None else now) - int(stamp)) > max_age:
        return False
    mac = hmac.new(secret.encode(), f"{delivery}.{stamp}.".encode() + d.body, hashlib.sha256)
    expected = "v1," + base64.b64encode(mac.digest()).decode()
    return hmac.compare_digest(expected, d.headers["X-Baton-Signature"])
