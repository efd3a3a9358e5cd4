"""`baton gate`: a CI step that opens (or joins) a hand-off and blocks until it is decided.

It long-polls GET /api/v1/handoffs/{id} (handlers/api_handoffs.py), prints one line per
change, and exits with the decision. A dropped connection, a 5xx or a restarting Baton is
retried with backoff until the timeout; the hand-off lives in Baton, so nothing is lost.
"""

from __future__ import annotations

import json
import os
import random
import re
import sys
import time
from pathlib import Path
from typing import Any

import click
import requests

EXIT_APPROVED, EXIT_REJECTED, EXIT_CHANGES, EXIT_CANCELLED, EXIT_TIMED_OUT = 0, 1, 2, 3, 4
EXIT_ERROR = 5  # bad arguments, a refused request, a bad token: nothing to wait for
EXITS = {
    "approved": EXIT_APPROVED,
    "rejected": EXIT_REJECTED,
    "changes_requested": EXIT_CHANGES,
    "cancelled": EXIT_CANCELLED,
}
POLL_SECONDS = 55  # under the server's 60 s cap and typical proxies' idle timeouts
MAX_BACKOFF_SECONDS = 15.0
DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd]?)$")
UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class GateError(click.ClickException):
    exit_code = EXIT_ERROR


class GateCommand(click.Command):
    """Usage errors exit 5 too: 2 means "changes requested" to the pipeline."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        try:
            return super().parse_args(ctx, args)
        except click.UsageError as exc:
            exc.exit_code = EXIT_ERROR
            raise


@click.command("gate", cls=GateCommand)
@click.option("--url", required=True, help="Baton's base URL, e.g. https://baton.example.com")
@click.option("--project", required=True, help="Project key, e.g. churn-model")
@click.option("--to", "to_stage", required=True, help="Target stage, e.g. deploy")
@click.option(
    "--packet",
    "packet_file",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="JSON file with the packet fields",
)
@click.option("--requester", required=True, help="Slack user id of the project member asking")
@click.option("--timeout", default="24h", show_default=True, help="e.g. 90m, 24h, 2d")
def gate(
    url: str, project: str, to_stage: str, packet_file: Path, requester: str, timeout: str
) -> None:
    """Open (or join) the hand-off of PROJECT to a stage and wait for its decision.

    Exits 0 approved, 1 rejected, 2 changes requested, 3 cancelled, 4 timed out, 5 error.
    The API token is read from BATON_API_TOKEN."""
    token = os.environ.get("BATON_API_TOKEN", "").strip()
    if not token:
        raise GateError("BATON_API_TOKEN is not set: create one with `baton api-token create`.")
    client = Client(url.rstrip("/"), token, time.monotonic() + parse_duration(timeout))
    body = {
        "project": project,
        "to_stage": to_stage,
        "packet": read_packet(packet_file),
        "requested_by": requester,
    }
    sys.exit(client.wait(client.open_or_join(body)))


def parse_duration(text: str) -> float:
    match = DURATION.match(text.strip().lower())
    if not match or float(match.group(1)) <= 0:
        raise GateError(f"--timeout '{text}' is not a duration like 90s, 30m, 24h or 2d.")
    return float(match.group(1)) * UNITS[match.group(2)]


def read_packet(path: Path) -> dict[str, Any]:
    try:
        packet = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise GateError(f"cannot read the packet file {path}: {exc.strerror}") from None
    except ValueError as exc:
        raise GateError(f"the packet file {path} is not JSON: {exc}") from None
    if not isinstance(packet, dict):
        raise GateError(f"the packet file {path} must hold a JSON object of fields")
    return packet


class Client:
    def __init__(self, url: str, token: str, deadline: float) -> None:
        self.url, self.deadline = url, deadline
        self.http = requests.Session()
        self.http.headers["Authorization"] = f"Bearer {token}"
        self._failures = 0

    def open_or_join(self, body: dict[str, Any]) -> int:
        """The id of the hand-off requested (or resubmitted), or of the open one joined."""
        answer = self._call("POST", "/api/v1/handoffs", json=body)
        if answer.status_code in (200, 201):
            handoff = answer.json()
            say(f"hand-off #{handoff['id']} requested: {body['project']} → {body['to_stage']}")
            return int(handoff["id"])
        if answer.status_code == 409:
            current = self._call("GET", f"/api/v1/projects/{body['project']}")
            open_one = current.json().get("open_handoff") if current.ok else None
            if open_one and open_one["to_stage"] == body["to_stage"]:
                say(f"joining the open hand-off #{open_one['id']}: {open_one['transition']}")
                return int(open_one["id"])
        raise GateError(f"Baton refused the hand-off ({answer.status_code}): {_error(answer)}")

    def wait(self, handoff_id: int) -> int:
        """Long-poll until the hand-off is decided or the deadline passes; the exit code."""
        shown: dict[str, Any] = {}
        path = f"/api/v1/handoffs/{handoff_id}"
        state = self._state(path, timeout=30)
        while True:
            shown = report(shown, state)
            if state["status"] in EXITS:
                return EXITS[state["status"]]
            remaining = self.deadline - time.monotonic()
            if remaining <= 0:
                say(f"timed out: hand-off #{handoff_id} is still {state['status']}")
                return EXIT_TIMED_OUT
            wait = max(1, min(POLL_SECONDS, int(remaining)))
            query = f"?wait={wait}&version={state['version']}"
            state = self._state(path + query, timeout=wait + 15)

    def _state(self, path: str, timeout: float) -> dict[str, Any]:
        answer = self._call("GET", path, timeout=timeout)
        if answer.status_code != 200:
            raise GateError(f"Baton answered {answer.status_code}: {_error(answer)}")
        return dict(answer.json())

    def _call(self, method: str, path: str, timeout: float = 30, **kw: Any) -> requests.Response:
        """One request, retried with backoff on no answer, 5xx and 429 until the deadline."""
        while True:
            try:
                answer = self.http.request(method, self.url + path, timeout=timeout, **kw)
            except requests.RequestException as exc:
                self._back_off(f"Baton unreachable ({exc.__class__.__name__})")
                continue
            if answer.status_code >= 500 or answer.status_code == 429:
                self._back_off(f"Baton answered {answer.status_code}", _retry_after(answer))
                continue
            self._failures = 0
            return answer

    def _back_off(self, why: str, at_least: float = 0.0) -> None:
        self._failures += 1
        delay = min(MAX_BACKOFF_SECONDS, 0.5 * 2 ** (self._failures - 1))
        delay = max(at_least, delay * (0.5 + random.random() / 2))
        if time.monotonic() + delay > self.deadline:
            say(f"timed out: {why}")
            sys.exit(EXIT_TIMED_OUT)
        say(f"{why}; retrying in {delay:.1f}s")
        time.sleep(delay)  # a CI step with nothing else to do; the wait itself is a long poll


def report(shown: dict[str, Any], state: dict[str, Any]) -> dict[str, Any]:
    """Print what changed since the last state shown: one line per change."""
    lines = []
    for signoff in state["signoffs"]:
        key = f"{state['round']}:{signoff['role']}"
        if signoff["state"] != "pending" and shown.get(key) != signoff["state"]:
            verb = signoff["state"].replace("_", " ")
            why = f": {signoff['reason']}" if signoff.get("reason") else ""
            lines.append(f"{signoff['label']}: {verb} by {signoff['decided_by']}{why}")
        shown[key] = signoff["state"]
    pending = [f"{s['label']} ({s['lead']})" for s in state["signoffs"] if s["state"] == "pending"]
    status = state["status"]
    if status == "pending" and (lines or "status" not in shown):
        lines.append(f"waiting on: {', '.join(pending)}" if pending else "waiting")
    elif status != "pending" and shown.get("status") != status:
        lines.append(f"hand-off #{state['id']} {status.replace('_', ' ')}")
    shown["status"] = status
    for line in lines:
        say(line)
    return shown


def say(line: str) -> None:
    click.echo(f"baton gate: {line}")


def _retry_after(answer: requests.Response) -> float:
    try:
        return max(0.0, float(answer.headers.get("Retry-After", "0")))
    except ValueError:
        return 0.0


def _error(answer: requests.Response) -> str:
    try:
        body = answer.json()
    except ValueError:
        return answer.text[:200]
    if "errors" in body:
        return "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in body["errors"])
    return str(body.get("error", body))[:300]
