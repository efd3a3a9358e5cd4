"""A burst of slash commands sent at one instant: what a team clicking through a digest does.

Each of BURST client threads holds one signed `/mlops status <key>` request on its own
connection, all wait at one barrier, then every request is sent at once; each is timed
from its send to its full response. Slack shows the user an error past 3 s, so the p99 and
the slowest acknowledgement are what count.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import requests

from bench import percentile, scaled
from bench.servers import SECRET, Server
from tests.slackbot.harness import SlackSigner

BURST = scaled(200, 50)
SLACK_DEADLINE_MS = 3000.0


def burst(server: Server, bodies: list[tuple[str, str | None]]) -> dict[str, Any]:
    """Send every body at the same instant, one thread and connection each; times in ms."""
    url, signer = f"{server.url}/slack/events", SlackSigner(SECRET)
    content = {"Content-Type": "application/x-www-form-urlencoded"}
    gate = threading.Barrier(len(bodies))
    results: list[tuple[float, bool]] = []
    lock = threading.Lock()

    def one(body: str, expect: str | None) -> None:
        headers = {**content, **signer.headers(body)}
        with requests.Session() as session:
            gate.wait(timeout=60)
            start = time.perf_counter()
            try:
                r = session.post(url, data=body.encode(), headers=headers, timeout=30)
                ok = r.status_code == 200 and (expect is None or expect in r.text)
            except requests.RequestException:
                ok = False
            elapsed = (time.perf_counter() - start) * 1000
        with lock:
            results.append((elapsed, ok))

    threads = [threading.Thread(target=one, args=item, daemon=True) for item in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    times = [t for t, _ in results]
    return {
        "n": len(bodies),
        "p50_ms": round(percentile(times, 0.5), 1),
        "p99_ms": round(percentile(times, 0.99), 1),
        "max_ms": round(max(times), 1),
        "over_3s": sum(t > SLACK_DEADLINE_MS for t in times),
        "errors": sum(not ok for _, ok in results) + len(bodies) - len(results),
    }
