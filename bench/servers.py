"""The servers under test, as subprocesses on loopback: `baton serve` and the bare bolt app.

Both run gunicorn gthread with the same workers and threads; each is awaited on /healthz with
a bounded number of polls and stopped by its own pid (SIGTERM, then SIGKILL if it hangs).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

from bench import memory
from tests.fakeslack import FakeSlack

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TOKEN = "xoxb-bench-token"
SECRET = "bench-signing-secret"
WORKERS = int(os.environ.get("BENCH_WORKERS", "1"))  # the same for Baton and the bare app
THREADS = 8
READY_ATTEMPTS = 300  # x 0.1 s: start-up includes migrations and auth.test
# e.g. "1": the servers run on these cores (taskset, which execs: the pid stays the server's);
# run the load generator itself with `taskset -c 0` to keep the two apart.
SERVER_CPUS = os.environ.get("BENCH_SERVER_CPUS", "")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Server:
    """A gunicorn process on loopback: started, awaited on /healthz, then stopped by its pid."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], cwd: Path, port: int):
        self.name, self.argv, self.env, self.cwd = name, argv, env, cwd
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = cwd / f"{name}.log"

    def __enter__(self) -> Server:
        self._log = self.log_path.open("wb")
        argv = ["taskset", "-c", SERVER_CPUS, *self.argv] if SERVER_CPUS else self.argv
        self.proc = subprocess.Popen(
            argv, env=self.env, cwd=self.cwd, stdout=self._log, stderr=subprocess.STDOUT
        )
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__()
            raise
        return self

    def _wait_ready(self) -> None:
        for _ in range(READY_ATTEMPTS):
            if self.proc.poll() is not None:
                raise RuntimeError(
                    f"{self.name} exited with {self.proc.returncode}:\n{self.tail()}"
                )
            try:
                if requests.get(f"{self.url}/healthz", timeout=1).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(0.1)
        raise RuntimeError(f"{self.name} not ready after {READY_ATTEMPTS} polls:\n{self.tail()}")

    def tail(self) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-30:])

    def __exit__(self, *exc: object) -> None:
        workers = memory.children(self.proc.pid)
        self.proc.terminate()  # gunicorn stops its workers gracefully on SIGTERM
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=10)
        for pid in workers:  # only if the master died before reaping them
            if _still_ours(pid):
                os.kill(pid, signal.SIGKILL)
        self._log.close()


def _still_ours(pid: int) -> bool:
    """The worker still runs (its pid was not reused by another program)."""
    try:
        return str(BIN) in Path(f"/proc/{pid}/cmdline").read_text(errors="replace")
    except OSError:
        return False


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BATON_", "SLACK_"))}
    return {**env, "SLACK_BOT_TOKEN": TOKEN, "SLACK_SIGNING_SECRET": SECRET, **extra}


def baton_server(fake: FakeSlack, db_url: str, cwd: Path, name: str) -> Server:
    port = free_port()
    env = _env(
        SLACK_API_URL=fake.base_url,
        BATON_DATABASE_URL=db_url,
        BATON_HOST="127.0.0.1",
        BATON_PORT=str(port),
        BATON_SCHEDULER="off",
    )
    argv = [str(BIN / "baton"), "serve", "--workers", str(WORKERS), "--threads", str(THREADS)]
    return Server(name, argv, env, cwd, port)  # cwd: a temp dir, so no stray .env is read


def bare_server(fake: FakeSlack, cwd: Path) -> Server:
    port = free_port()
    argv = [
        *(str(BIN / "gunicorn"), "bench.bare_app:web", "--chdir", str(ROOT), "--preload"),
        *("--worker-class", "gthread", "--workers", str(WORKERS), "--threads", str(THREADS)),
        *("--bind", f"127.0.0.1:{port}", "--timeout", "30"),
    ]
    return Server("bare", argv, _env(SLACK_API_URL=fake.base_url), cwd, port)
