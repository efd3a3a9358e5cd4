"""The last line of `make test`: the run's combined coverage, lines and branches apart."""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

import coverage


def main() -> None:
    cov = coverage.Coverage()
    cov.load()
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "coverage.json"
        cov.json_report(outfile=str(report))
        totals = json.loads(report.read_text())["totals"]
    lines = 100 * totals["covered_lines"] / max(totals["num_statements"], 1)
    branches = 100 * totals["covered_branches"] / max(totals["num_branches"], 1)
    print(
        f"coverage: lines {lines:.1f} % ({totals['num_statements']}), branches {branches:.1f} % "
        f"({totals['num_branches']}), total {totals['percent_covered']:.2f} % "
        f"(fail_under {cov.config.fail_under:g} %)"
    )


if __name__ == "__main__":
    main()
