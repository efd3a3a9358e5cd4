"""Peak resident memory of a gunicorn server: VmHWM of the master plus each of its workers.

Read while the server still runs, right after its latency load, so the peak includes what
serving that load cost. Forked workers share the master's preloaded pages, so the sum
over-counts shared memory in the same way for Baton and the bare app.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any


def children(pid: int) -> list[int]:
    found = subprocess.run(
        ["ps", "--ppid", str(pid), "-o", "pid="],
        capture_output=True,
        text=True,
        check=False,
        timeout=10,
    )
    return [int(p) for p in found.stdout.split()]


def vm_hwm_kib(pid: int) -> int:
    """Peak resident set size of one process, in KiB (0 if it is gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
    except OSError:
        return 0
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def peak_rss(master_pid: int) -> dict[str, Any]:
    workers = children(master_pid)
    master = vm_hwm_kib(master_pid)
    per_worker = [vm_hwm_kib(w) for w in workers]
    return {
        "master_mib": round(master / 1024, 1),
        "workers_mib": [round(k / 1024, 1) for k in per_worker],
        "total_mib": round((master + sum(per_worker)) / 1024, 1),
    }


def compare(servers: dict[str, Any]) -> dict[str, Any]:
    """Each server's peak (taken by the latency run) and its ratio to the bare app's."""
    bare = servers["bare"]["memory"]["total_mib"]
    return {
        name: {**s["memory"], "vs_bare": round(s["memory"]["total_mib"] / bare, 2)}
        for name, s in servers.items()
    }


def cpu_seconds(master_pid: int) -> float:
    """User + system CPU time the server's processes have used so far (master and workers)."""
    total_ticks = 0
    for pid in (master_pid, *children(master_pid)):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text(encoding="utf-8").rsplit(")", 1)[1].split()
        except OSError:
            continue
        total_ticks += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
    return total_ticks / os.sysconf("SC_CLK_TCK")
