"""Real processes under test (`baton serve`, `baton socket`, `mlflow server`, `make run`):
a free loopback port, waiting for one to answer, and stopping it without leaving it behind."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest
import requests

POLL_SECONDS = 0.1  # polling a starting process, not synchronising with our own code


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def await_http(proc: subprocess.Popen, url: str, log: Path | None, polls: int = 300) -> str:
    """The body of the first 200 from `url`; fails with the log if the process exits first."""
    for _ in range(polls):
        if proc.poll() is not None:
            pytest.fail(f"{proc.args!r} exited with {proc.returncode}:\n{_tail(log)}")
        try:
            response = requests.get(url, timeout=1)
            if response.status_code == 200:
                return response.text
        except requests.RequestException:
            pass
        time.sleep(POLL_SECONDS)
    pytest.fail(f"nothing answered at {url} after {polls} polls:\n{_tail(log)}")


def stop(proc: subprocess.Popen, *, group: bool = False) -> None:
    """SIGTERM (to its process group when `group`), then SIGKILL if it does not exit."""

    def send(sig: int) -> None:
        with contextlib.suppress(ProcessLookupError):  # already gone
            if group:
                os.killpg(proc.pid, sig)
            else:
                proc.send_signal(sig)

    if proc.poll() is None:
        send(signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        send(signal.SIGKILL)
        proc.wait(timeout=10)


def _tail(log: Path | None) -> str:
    if log is None or not log.exists():
        return ""
    return log.read_text(errors="replace")[-3000:]
