"""Process assembly for `baton serve` (gunicorn) and `baton socket` (Socket Mode)."""

from __future__ import annotations

import logging
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
    app = build_app(rt, deliverer, socket_mode=socket_mode)
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
    configure_logging(settings.baton_log_format)
    baton = assemble(settings)

    def post_fork(_server: Any, _worker: Any) -> None:
        baton.rt.engine.dispose(close=False)  # never share the parent's pooled connections

    def post_worker_init(_worker: Any) -> None:
        baton.deliverer.start()  # threads do not survive fork: each worker runs its own

    options = {
        "post_fork": post_fork,
        "post_worker_init": post_worker_init,
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

    configure_logging(settings.baton_log_format)
    baton = assemble(settings, socket_mode=True)
    baton.deliverer.start()
    assert settings.slack_app_token is not None
    SocketModeHandler(baton.app, settings.slack_app_token.get_secret_value()).start()
