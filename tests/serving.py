"""Stopping a loopback server under test at once, not after its serve loop's next poll."""

from __future__ import annotations

import contextlib
import socket
import socketserver


def stop_serving(server: socketserver.BaseServer) -> None:
    """`server.shutdown()` without waiting out `serve_forever`'s poll: the flag shutdown() sets
    first is set here, then a connection wakes the loop's select(), which exits on seeing the
    flag (bpo-35017). Each test that serves Baton stops two servers; at a 10 ms poll, waiting
    for them was about a tenth of such a test."""
    server._BaseServer__shutdown_request = True  # type: ignore[attr-defined]
    with contextlib.suppress(OSError), socket.create_connection(server.server_address[:2], 1):
        pass
    server.shutdown()  # returns once the loop has stopped
