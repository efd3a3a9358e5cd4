"""`make bench`: Baton's performance numbers, on this machine, against loopback only.

Not part of `make test`. One module per benchmark (latency, digest, delivery, memory), each
returning plain dicts that `python -m bench` prints as a table and writes to bench/results.json.
BENCH_QUICK=1 scales every count down for a smoke run; the default is the issue's numbers.
"""

from __future__ import annotations

import os
from collections.abc import Sequence

from models.services.digest_approvals import percentile as ranked_percentile

QUICK = os.environ.get("BENCH_QUICK", "").lower() in ("1", "true", "yes")


def scaled(full: int, quick: int) -> int:
    """The issue's count, or a small one under BENCH_QUICK=1."""
    return quick if QUICK else full


def percentile(values: Sequence[float], q: float) -> float:
    """The digest's own percentile (linear interpolation), over unsorted values."""
    return ranked_percentile(sorted(values), q)
