"""`python -m bench [latency] [burst] [digest] [delivery] [ingest]`: run the benchmarks (all by default), print a
table, check the issue's targets and write bench/results.json."""

from __future__ import annotations

import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import QUICK, delivery, digest, ingest, latency, memory, seed

RESULTS = Path(__file__).resolve().parent / "results.json"
BENCHMARKS = ("latency", "burst", "digest", "delivery", "ingest")
RATIO_LIMITS = {"help": 1.5, "status": 1.5, "approve": 2.0}
CPU_LIMITS_MS = {"help": 0.8, "status": 1.5, "approve": 2.0}  # server CPU per request
DIGEST_LIMIT_MS = 500.0  # at 10,000 projects (1,000 under BENCH_QUICK)
BURST_P99_LIMIT_MS = 1000.0
FLOOR_SLACK_PCT = 10.0


def main(argv: list[str]) -> int:
    chosen = [a for a in argv if a in BENCHMARKS] or list(BENCHMARKS)
    backends = ["sqlite", "postgresql"] if seed.pg_reachable() else ["sqlite"]
    results: dict[str, Any] = {
        "machine": {
            "cpu_count": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
            # Other processes share these cores: a high load average makes every number worse.
            "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
        },
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "quick": QUICK,
        "backends": backends,
    }
    began = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="baton-bench-") as tmp:
        if "latency" in chosen or "burst" in chosen:  # the burst runs on the latency servers
            kinds = latency.KINDS if "latency" in chosen else ()
            results["latency"] = latency.run(backends, Path(tmp), kinds)
            results["memory"] = memory.compare(results["latency"]["servers"])
        if "digest" in chosen:
            results["digest"] = digest.run(backends)
        if "delivery" in chosen:
            results["delivery"] = delivery.run()
        if "ingest" in chosen:
            results["ingest"] = ingest.run(backends, Path(tmp))
    results["elapsed_s"] = round(time.perf_counter() - began, 1)
    results["machine"]["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    results["targets"] = targets(results)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(render(results))
    print(f"\nwritten to {RESULTS}")
    return 0


# -- targets -----------------------------------------------------------------------------------


def targets(r: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []

    def check(name: str, ok: bool, value: str) -> None:
        found.append({"target": name, "met": ok, "value": value})

    for server, kinds in r.get("latency", {}).get("ratios", {}).items():
        for kind, limit in RATIO_LIMITS.items():
            for conc, q in kinds.get(kind, {}).items():
                worst = max(q.values())
                name = f"{server} {kind} at concurrency {conc}: p50 and p99 ratio <= {limit:g}"
                check(name, worst <= limit, f"{worst:.2f}")
    for server, result in r.get("latency", {}).get("servers", {}).items():
        if server == "bare":
            continue
        for kind, limit in CPU_LIMITS_MS.items():
            if kind not in result:
                continue
            worst = max(row["server_cpu_ms_per_request"] for row in result[kind].values())
            check(
                f"{server} {kind}: server CPU <= {limit:g} ms/request", worst <= limit, f"{worst}"
            )
        if b := result.get("burst"):
            name = f"{server} burst of {b['n']} commands: p99 < {BURST_P99_LIMIT_MS:g} ms"
            check(name, b["p99_ms"] < BURST_P99_LIMIT_MS and not b["errors"], f"{b['p99_ms']} ms")
    for backend, rows in r.get("digest", {}).items():
        largest = rows[-1]
        name = f"digest {backend}: {largest['projects']:,} projects <= {DIGEST_LIMIT_MS:g} ms"
        check(name, largest["median_ms"] <= DIGEST_LIMIT_MS, f"{largest['median_ms']} ms")
        counts = sorted({row["statements"] for row in rows})
        check(f"digest {backend}: statement count flat", len(counts) == 1, str(counts))
    if d := r.get("delivery"):
        pct = d["over_floor_pct"]
        check(f"delivery within {FLOOR_SLACK_PCT:g} % of floor", pct <= FLOOR_SLACK_PCT, f"{pct} %")
        check("delivery: 0 lost", d["lost"] == 0, str(d["lost"]))
        check("delivery: 0 duplicated", d["duplicated"] == 0, str(d["duplicated"]))
    return found


# -- the table ---------------------------------------------------------------------------------


def _row(cells: list[Any], widths: list[int]) -> str:
    return "  ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)).rstrip()


def render(r: dict[str, Any]) -> str:
    m = r["machine"]
    out = [
        f"Baton bench: {m['cpu_count']} cores, Python {m['python']}, "
        f"{'QUICK' if r['quick'] else 'full'} run, {r['elapsed_s']} s, backends {r['backends']}",
        f"load average (1/5/15 min) at start {m['load_average_at_start']}, "
        f"at end {m['load_average_at_end']}",
    ]
    if lat := r.get("latency"):
        out += _latency(lat)
        out += ["", "Peak RSS (VmHWM, gunicorn master + workers)"]
        widths = [18, 10, 8]
        out.append(_row(["server", "total MiB", "vs bare"], widths))
        for name, mem in r["memory"].items():
            out.append(_row([name, mem["total_mib"], f"{mem['vs_bare']:.2f}x"], widths))
    if dig := r.get("digest"):
        out += ["", "build_digest (median of 5 after a warm-up; 10 hand-offs per project)"]
        widths = [11, 9, 10, 10, 11, 24]
        out.append(
            _row(["backend", "projects", "hand-offs", "median ms", "statements", "runs ms"], widths)
        )
        for backend, rows in dig.items():
            for row in rows:
                cells = [backend, row["projects"], row["handoffs"], row["median_ms"]]
                cells += [row["statements"], " ".join(f"{t:g}" for t in row["runs_ms"])]
                out.append(_row(cells, widths))
    if d := r.get("delivery"):
        out += [
            "",
            f"Outbox delivery ({d['messages']} messages, {d['channels']} channels, 1/s per channel, {d['database']}, poll {d['poll_seconds']:g} s)",
        ]
        out.append(
            f"total {d['total_s']} s vs floor {d['floor_s']:g} s ({d['over_floor_pct']:+} %); "
            f"lost {d['lost']}, duplicated {d['duplicated']}, out of order {d['out_of_order']}, "
            f"unsent rows {d['unsent_rows']}; 429s {d['rate_limited_429']}; "
            f"gap between posts per channel: mean {d['gap_mean_s']} s, p90 {d['gap_p90_s']} s"
        )
    if ing := r.get("ingest"):
        out += [
            "",
            f"POST /api/v1/metrics, {ingest.BATCH} observations a batch ({ingest.PROJECTS} monitors; median of {ingest.RUNS})",
        ]
        widths = [11, 10, 10, 30, 18]
        out.append(_row(["backend", "times", "median ms", "runs ms", "recorded/posted"], widths))
        for backend, res in ing.items():
            for row in res["batches"]:
                runs = " ".join(f"{t:g}" for t in row["runs_ms"])
                cells = [
                    backend,
                    row["shape"],
                    row["median_ms"],
                    runs,
                    f"{res['recorded']}/{res['posted']}",
                ]
                out.append(_row(cells, widths))
    out += ["", "Targets"]
    out += [
        f"  [{'met' if t['met'] else 'MISSED'}] {t['target']}: {t['value']}" for t in r["targets"]
    ]
    return "\n".join(out)


def _latency(lat: dict[str, Any]) -> list[str]:
    s = lat["settings"]
    out = [
        "",
        f"Ack latency in ms ({s['requests']} signed requests each, after {s['warmup']} warm-up; "
        f"gunicorn gthread {s['workers']} worker x {s['threads']} threads; {s['projects']} projects)",
    ]
    widths = [18, 8, 5, 8, 8, 7, 10, 10, 8]
    head = ["server", "request", "conc", "p50", "p99", "errors", "p50 ratio", "p99 ratio"]
    out.append(_row([*head, "cpu ms/req"], widths))
    for name, result in lat["servers"].items():
        for kind in latency.KINDS:
            for conc, stats in result.get(kind, {}).items():
                ratio = lat["ratios"].get(name, {}).get(kind, {}).get(conc, {})
                cells = [name, kind, conc, stats["p50_ms"], stats["p99_ms"], stats["errors"]]
                cells += [ratio.get("p50", ""), ratio.get("p99", "")]
                cells.append(stats.get("server_cpu_ms_per_request", ""))
                out.append(_row(cells, widths))
        if b := result.get("burst"):
            out.append(
                f"{'':18}  burst of {b['n']} status commands at once: p50 {b['p50_ms']}, "
                f"p99 {b['p99_ms']}, max {b['max_ms']} ms; over 3 s {b['over_3s']}, "
                f"errors {b['errors']}"
            )
        if "approvals" in result:
            a = result["approvals"]
            out.append(f"{'':18}  approvals recorded: {a['recorded']} of {a['clicks']} clicks")
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
