"""Process assembly for `baton serve` (gunicorn), `baton socket` (Socket Mode) and
`baton worker` (delivery and scheduled jobs only)."""

from __future__ import annotations

import logging
import signal
from dataclasses import dataclass
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication
from slack_bolt import App

from bot.app import build_app
from bot.config import Settings
from bot.db import migrate
from bot.delivery import Deliverer
from bot.logs import configure_logging
from bot.runtime import Runtime
from bot.scheduler import Scheduler, job_context
from bot.web import build_web

log = logging.getLogger(__name__)


@dataclass
class Baton:
    rt: Runtime
    deliverer: Deliverer
    app: App
    web: Flask


def assemble(settings: Settings, rt: Runtime | None = None, *, socket_mode: bool = False) -> Baton:
    """Migrate, learn the installed workspace from Slack, and wire the app and web server."""
    rt = rt or Runtime.from_settings(settings)
    migrate(rt.engine)
    team = rt.register_workspace()
    log.info("serving workspace %s", team)
    deliverer = Deliverer(rt)
    app = build_app(rt, socket_mode=socket_mode)
    return Baton(rt, deliverer, app, build_web(rt, app))


class _Gunicorn(BaseApplication):  # type: ignore[misc]
    def __init__(self, web: Flask, options: dict[str, Any]) -> None:
        self.web, self.options = web, options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        return self.web


def serve(settings: Settings, *, workers: int, threads: int) -> None:
    configure_logging(settings)
    baton = assemble(settings)
    started: list[Scheduler] = []  # this worker's scheduler, stopped when the worker exits

    def post_fork(_server: Any, _worker: Any) -> None:
        baton.rt.engine.dispose(close=False)  # never share the parent's pooled connections

    def post_worker_init(_worker: Any) -> None:
        baton.deliverer.start()  # threads do not survive fork: each worker runs its own
        if (scheduler := start_scheduler(settings, baton.rt, baton.deliverer)) is not None:
            started.append(scheduler)

    def worker_exit(_server: Any, _worker: Any) -> None:
        for scheduler in started:
            scheduler.stop()

    options = {
        "post_fork": post_fork,
        "post_worker_init": post_worker_init,
        "worker_exit": worker_exit,
        "bind": f"{settings.baton_host}:{settings.baton_port}",
        "workers": workers,
        "threads": threads,
        "worker_class": "gthread",
        "timeout": 30,
        "accesslog": None,
        "preload_app": True,
    }
    _Gunicorn(baton.web, options).run()


def socket(settings: Settings) -> None:
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    configure_logging(settings)
    baton = assemble(settings, socket_mode=True)
    baton.deliverer.start()
    start_scheduler(settings, baton.rt, baton.deliverer)
    assert settings.slack_app_token is not None
    SocketModeHandler(baton.app, settings.slack_app_token.get_secret_value()).start()


def start_scheduler(settings: Settings, rt: Runtime, deliverer: Deliverer) -> Scheduler | None:
    """Every process may tick: run claims, not a single leader, keep each job to one run."""
    if settings.baton_scheduler == "off":
        log.info("scheduler off (BATON_SCHEDULER=off): a `baton worker` runs the scheduled jobs")
        return None
    scheduler = Scheduler(job_context(rt), deliverer.kick)
    scheduler.start()
    return scheduler


STOP_SIGNALS = {signal.SIGTERM, signal.SIGINT}


def worker(settings: Settings) -> None:
    """Delivery and scheduled jobs without a web server, until SIGTERM or SIGINT."""
    # The stop signals stay blocked (threads started later inherit the mask) and the main
    # thread takes them with sigwait once running: one sent during start-up waits for it
    # instead of killing the process half-started, and no handler runs between bytecodes of
    # the main thread (a handler setting an Event can deadlock on the Event's own lock).
    signal.pthread_sigmask(signal.SIG_BLOCK, STOP_SIGNALS)
    configure_logging(settings)
    log.info("worker starting")
    rt = Runtime.from_settings(settings)
    migrate(rt.engine)
    deliverer = Deliverer(rt)
    # A dedicated worker always schedules: BATON_SCHEDULER=off is for the web processes.
    scheduler = Scheduler(job_context(rt), deliverer.kick)
    deliverer.start()
    scheduler.start()
    log.info("worker running: outbox delivery and scheduled jobs")
    received = signal.sigwait(STOP_SIGNALS)
    log.info("worker stopping (%s)", signal.Signals(received).name)
    scheduler.stop()
    deliverer.stop()
    rt.engine.dispose()
