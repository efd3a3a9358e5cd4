"""`python -m bench.profile [status|approve|help] [sqlite|postgresql]`: where an ack's time goes.

Starts `baton serve` on a seeded database exactly as the latency benchmark does, attaches
py-spy (`pip install py-spy`) to its gunicorn worker and sends the chosen request at
concurrency 16; writes py-spy's collapsed stacks to a temporary folder
and prints the frames that appear in most samples. Not part of `make bench`: run it to explain a missed target.
"""

from __future__ import annotations

import itertools
import shutil
import signal
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench import memory, seed
from bench.latency import Requests, measure
from bench.servers import TOKEN, baton_server
from tests.fakeslack import FakeSlack

PROJECTS, REQUESTS, CONCURRENCY = 1000, 600, 16


def main(kind: str = "status", backend: str = "sqlite") -> int:
    spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    out = Path(tempfile.mkdtemp(prefix="baton-profile-"))
    with FakeSlack(token=TOKEN, team_id=seed.TEAM) as fake, seed.database(backend) as url:
        handoffs = iter(seed.awaiting_approval(url, PROJECTS))
        slack, keys = Requests(fake), itertools.cycle(f"p-{i:05d}" for i in range(PROJECTS))
        if kind == "approve":
            bodies = [(slack.approve(next(handoffs)), None) for _ in range(REQUESTS)]
        else:
            text = "help" if kind == "help" else None
            bodies = [
                (slack.command(text or f"status {next(keys)}"), None) for _ in range(REQUESTS)
            ]
        with baton_server(fake, url, out, f"profile-{backend}") as server:
            worker = memory.children(server.proc.pid)[0]
            raw = out / f"{kind}-{backend}.txt"
            record = [spy, "record", "--pid", str(worker), "--rate", "100", "--format", "raw"]
            spying = subprocess.Popen([*record, "--output", str(raw)])
            result = measure(f"{server.url}/slack/events", bodies, CONCURRENCY)
            spying.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
            spying.wait(timeout=60)
    print(f"{kind} on {backend} at concurrency {CONCURRENCY}: {result}")
    print(f"collapsed stacks (no idle threads) in {raw}; busiest frames:")
    for frame, share in busiest(raw):
        print(f"  {share:5.1%}  {frame}")
    return 0


def busiest(raw: Path, top: int = 25) -> list[tuple[str, float]]:
    """Frames by the share of samples they appear in (inclusive time), ours and libraries'."""
    seen: Counter[str] = Counter()
    total = 0
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        n = int(count)
        total += n
        for frame in set(stack.split(";")):
            seen[frame] += n
    return [(f, n / total) for f, n in seen.most_common(top)] if total else []


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
