"""Metric pull: monitors with a source are polled on their interval and the value recorded.

A source is a Prometheus server (instant query, first sample) or a JSON URL with a dotted field
path. A failing source (timeout, HTTP error, not JSON, no sample, not a number) is kept on the
monitor as `last_error`, shown by `monitor list`, and never stops the run or other monitors.

Due monitors are claimed (next_poll_at moved on) in one short transaction with SKIP LOCKED, so
racing replicas poll each monitor once; fetching happens outside any transaction.
"""

from __future__ import annotations

import json
import logging
import math
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from sqlalchemy import or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from urllib3.util.retry import Retry

from jobs.context import JobContext
from models.enums import Stage
from models.errors import DomainError
from models.monitor import Monitor
from models.project import Project
from models.services import monitoring

log = logging.getLogger(__name__)

FETCH_TIMEOUT = 5.0  # seconds; read at call time so tests can shorten it
MAX_BYTES = 1_000_000  # a metrics answer is small; a huge one is a misconfigured URL
MAX_WORKERS = 8
BATCH = 200
RETRIES = 2  # per poll, for connection errors and 502/503/504
RETRY_BACKOFF = 0.1  # seconds, doubled per retry (urllib3's backoff_factor)


class SourceError(Exception):
    """Why a source gave no value, in words fit for `monitor list`."""


@dataclass(frozen=True)
class Due:
    monitor_id: int
    team_id: str
    key: str
    metric: str
    kind: str
    url: str
    query: str


def run(ctx: JobContext, now: datetime) -> int:
    """Poll every due monitor once; returns how many values were recorded."""
    with ctx.session() as s:
        due = _claim_due(s, now)
    if not due:
        return 0
    with ThreadPoolExecutor(max_workers=min(MAX_WORKERS, len(due))) as pool:
        outcomes = list(pool.map(_outcome, due))
    return sum(
        _record(ctx, item, outcome, now) for item, outcome in zip(due, outcomes, strict=True)
    )


def fetch_value(kind: str, url: str, query: str, timeout: float | None = None) -> float:
    """The source's current value, or SourceError saying why there is none."""
    timeout = FETCH_TIMEOUT if timeout is None else timeout
    if kind == "prometheus":
        endpoint = f"{url.rstrip('/')}/api/v1/query"
        return _prometheus_value(_get_json(endpoint, {"query": query}, timeout))
    if kind == "json":
        return _number(_field(_get_json(url, None, timeout), query))
    raise SourceError(f"unknown source kind '{kind}'")


def _claim_due(s: Session, now: datetime) -> list[Due]:
    rows = s.execute(
        select(Monitor, Project)
        .join(Project, Project.id == Monitor.project_id)
        .where(
            Monitor.source_kind.is_not(None),
            Monitor.source_url.is_not(None),
            Monitor.removed_at.is_(None),
            or_(Monitor.next_poll_at.is_(None), Monitor.next_poll_at <= now),
            Project.stage != Stage.ARCHIVED,
        )
        .order_by(Monitor.next_poll_at, Monitor.id)
        .limit(BATCH)
        .with_for_update(skip_locked=True, of=Monitor)
    ).all()
    for monitor, _ in rows:  # claimed: another replica's query no longer sees it as due
        monitor.next_poll_at = now + timedelta(seconds=max(30, monitor.poll_seconds))
    return [
        Due(
            m.id,
            m.team_id,
            p.key,
            m.metric,
            m.source_kind or "",
            m.source_url or "",
            m.source_query or "",
        )
        for m, p in rows
    ]


def _outcome(item: Due) -> float | str:
    """The value, or the error text; nothing a source does may escape into the run."""
    try:
        return fetch_value(item.kind, item.url, item.query)
    except SourceError as exc:
        return str(exc)
    except requests.Timeout:
        return f"timed out after {FETCH_TIMEOUT:g}s"
    except requests.HTTPError as exc:
        return f"HTTP {exc.response.status_code if exc.response is not None else 'error'}"
    except requests.RequestException as exc:
        return f"could not fetch: {exc.__class__.__name__}"
    except Exception as exc:  # a surprise in a source must not stop the other monitors
        log.exception("metric source of monitor %s failed", item.monitor_id)
        return f"unexpected error: {exc.__class__.__name__}"


def _record(ctx: JobContext, item: Due, outcome: float | str, now: datetime) -> int:
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


def _retrying_session() -> requests.Session:
    """Retries what a moment may fix (refused connection, 502/503/504), with a short backoff;
    never a read time-out, which would multiply the wait of a hanging source."""
    retry = Retry(
        connect=RETRIES,
        read=False,  # re-raised as it is: a time-out stays a time-out
        status=RETRIES,
        other=False,
        backoff_factor=RETRY_BACKOFF,
        status_forcelist=(502, 503, 504),
        allowed_methods=frozenset({"GET"}),
        raise_on_status=False,
    )
    session = requests.Session()
    adapter = HTTPAdapter(max_retries=retry)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


def _get_json(url: str, params: dict[str, str] | None, timeout: float) -> Any:
    headers = {"Accept": "application/json"}
    with (
        _retrying_session() as session,
        session.get(url, params=params, timeout=timeout, stream=True, headers=headers) as response,
    ):
        response.raise_for_status()
        body = response.raw.read(MAX_BYTES + 1, decode_content=True)
    if len(body) > MAX_BYTES:
        raise SourceError(f"the answer is larger than {MAX_BYTES // 1000} kB")
    try:
        return json.loads(body)
    except ValueError:
        raise SourceError("the answer is not JSON") from None


def _prometheus_value(body: Any) -> float:
    """data.result[0].value[1] of an instant query (or data.result[1] for a scalar)."""
    if not isinstance(body, dict) or body.get("status") != "success":
        why = body.get("error") if isinstance(body, dict) else None
        raise SourceError(f"Prometheus refused the query: {why or 'no success status'}")
    try:
        data = body["data"]
        if data.get("resultType") == "scalar":
            return _number(data["result"][1])
        if not data["result"]:
            raise SourceError("the query returned no sample")
        return _number(data["result"][0]["value"][1])
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


def _number(raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str):
        raise SourceError(f"the value is not a number: {str(raw)[:40]}")
    try:
        value = float(raw)
    except ValueError:
        raise SourceError(f"the value is not a number: {str(raw)[:40]}") from None
    if not math.isfinite(value):
        raise SourceError(f"the value is not a finite number: {raw}")
    return value
