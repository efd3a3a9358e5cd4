"""Metric pull: monitors with a source are polled on their interval and the value recorded.

A source is a Prometheus server (instant query, first sample) or a JSON URL with a dotted field
path, fetched through jobs/source_http.py (checked addresses only, no redirects, bounded size and
time). A failing source (refused address, timeout, HTTP error, not JSON, no sample, not a number)
is kept on the monitor as `last_error`, shown by `monitor list`, and never stops the run or other
monitors. The error says what was wrong, never what the source answered.

Due monitors are claimed (next_poll_at moved on) in one short transaction with SKIP LOCKED, so
racing replicas poll each monitor once (models/services/pulls.py); fetching happens outside any
transaction.
"""

from __future__ import annotations

import json
import logging
import math
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from jobs.context import JobContext
from jobs.source_http import MAX_BYTES, RETRIES, Resolver, SourceError, get_body
from models.errors import DomainError
from models.services import monitoring
from models.services.pulls import DuePull, claim_due_pulls
from models.sources import SourcePolicy, SourceRefused, prometheus_query

__all__ = ["MAX_BYTES", "RETRIES", "SourceError", "fetch_value", "run"]

log = logging.getLogger(__name__)

FETCH_TIMEOUT = 5.0  # seconds; read at call time so tests can shorten it
MAX_WORKERS = 8
BATCH = 200
# Prometheus' own error types; its error text is body and is never repeated.
PROMETHEUS_ERROR_TYPES = frozenset(
    {"bad_data", "timeout", "canceled", "execution", "unavailable", "internal", "not_found"}
)


def run(ctx: JobContext, now: datetime) -> int:
    """Poll every due monitor once; returns how many values were recorded."""
    with ctx.session() as s:
        due = claim_due_pulls(s, now, BATCH)
    if not due:
        return 0

    def outcome(item: DuePull) -> float | str:
        return _outcome(item, ctx.metric_sources, ctx.resolve)

    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(due))) as pool:
        outcomes = list(pool.map(outcome, due))
    return sum(
        _record(ctx, item, outcome, now) for item, outcome in zip(due, outcomes, strict=True)
    )


def fetch_value(
    kind: str,
    url: str,
    query: str,
    *,
    policy: SourcePolicy | None = None,
    resolve: Resolver | None = None,
    timeout: float | None = None,
) -> float:
    """The source's current value, or SourceError saying why there is none. `policy` is where
    sources may point (default: public addresses only); `resolve` the DNS seam (tests)."""
    policy = policy or SourcePolicy()
    timeout = FETCH_TIMEOUT if timeout is None else timeout
    if kind == "prometheus":
        try:
            endpoint = prometheus_query(url, query)
        except SourceRefused as exc:
            raise SourceError(str(exc)) from None
        return _prometheus_value(_get_json(endpoint, policy, resolve, timeout))
    if kind == "json":
        return _number(_field(_get_json(url, policy, resolve, timeout), query), f"'{query}'")
    raise SourceError(f"unknown source kind '{kind}'")


def _outcome(item: DuePull, policy: SourcePolicy, resolve: Resolver | None) -> float | str:
    """The value, or the error text; nothing a source does may escape into the run."""
    try:
        return fetch_value(item.kind, item.url, item.query, policy=policy, resolve=resolve)
    except SourceError as exc:
        return str(exc)
    except Exception as exc:  # a surprise in a source must not stop the other monitors
        # Only the type: an exception's text may quote what the source sent.
        log.error("metric source of monitor %s failed: %s", item.monitor_id, type(exc).__name__)
        return f"unexpected error: {type(exc).__name__}"


def _record(ctx: JobContext, item: DuePull, outcome: float | str, now: datetime) -> int:
    try:
        with ctx.session() as s:
            if isinstance(outcome, str):
                monitoring.pull_failed(s, item.monitor_id, outcome, now)
                return 0
            actor = monitoring.system(item.team_id)
            monitoring.record_observation(s, actor, item.key, item.metric, outcome, "pull", now)
            return 1
    except DomainError as exc:  # removed or archived since it was claimed
        log.info("pulled %s of %s not recorded: %s", item.metric, item.key, exc.message)
    except SQLAlchemyError:
        log.exception("could not record the pull of monitor %s", item.monitor_id)
    return 0


def _get_json(url: str, policy: SourcePolicy, resolve: Resolver | None, timeout: float) -> Any:
    body = get_body(url, policy, resolve, timeout)
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise SourceError("the answer is not JSON") from None


def _prometheus_value(body: Any) -> float:
    """data.result[0].value[1] of an instant query (or data.result[1] for a scalar)."""
    if not isinstance(body, dict) or body.get("status") != "success":
        kind = body.get("errorType") if isinstance(body, dict) else None
        known = f" ({kind})" if kind in PROMETHEUS_ERROR_TYPES else ""
        raise SourceError(f"Prometheus refused the query{known}")
    try:
        data = body["data"]
        if data.get("resultType") == "scalar":
            return _number(data["result"][1], "the scalar")
        if not data["result"]:
            raise SourceError("the query returned no sample")
        return _number(data["result"][0]["value"][1], "the sample")
    except (KeyError, IndexError, TypeError, AttributeError):
        raise SourceError("unexpected Prometheus answer: no data.result[0].value[1]") from None


def _field(body: Any, path: str) -> Any:
    """Follow `metrics.auc` or `items.0.value` through objects and lists."""
    node = body
    for part in path.split("."):
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and part.isdigit() and int(part) < len(node):
            node = node[int(part)]
        else:
            raise SourceError(f"no field '{path}' in the answer (stopped at '{part}')")
    return node


def _number(raw: Any, what: str) -> float:
    """`what` names the field, in the user's words; the value itself is never quoted."""
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise SourceError(f"the value of {what} is not a number")
    try:
        value = float(raw)
    except (ValueError, OverflowError):
        raise SourceError(f"the value of {what} is not a number") from None
    if not math.isfinite(value):
        raise SourceError(f"the value of {what} is not a finite number")
    return value
