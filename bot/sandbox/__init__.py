"""`baton sandbox`: Baton wired to a built-in Slack emulator, with a web page to drive it.

The emulator is reached the way Slack is: Baton's WebClient calls its Web API through
SLACK_API_URL, and it sends signed requests to Baton's real /slack/events. Nothing in
handlers/ or models/ knows the sandbox exists.

Start-up order matters: the server binds and serves the emulator first, because assembling
Baton asks Slack (auth.test) which workspace it serves; then Baton's own web app, with the
emulator registered on it, takes over the same port.
"""

from __future__ import annotations

import functools
import logging
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask
from werkzeug.serving import BaseWSGIServer, make_server

from bot.config import Settings, load_settings
from bot.logs import configure_logging
from bot.sandbox.emulator import WebApi, api_blueprint
from bot.sandbox.interactions import Interactions
from bot.sandbox.ui import icon_blueprint, ui_blueprint
from bot.sandbox.workspace import Workspace
from bot.server import Baton, assemble

log = logging.getLogger(__name__)
DEFAULT_DATABASE = "sqlite:///sandbox.db"
STATIC = Path(__file__).resolve().parent / "static"


class SandboxError(RuntimeError):
    """The sandbox cannot start; the message says why and what to change."""


@dataclass
class Emulator:
    workspace: Workspace
    api: WebApi
    interactions: Interactions

    @classmethod
    def for_settings(
        cls, settings: Settings, base_url: str, workspace: Workspace | None = None
    ) -> Emulator:
        assert settings.slack_bot_token and settings.slack_signing_secret
        ws = Workspace() if workspace is None else workspace
        api = WebApi(ws, settings.slack_bot_token.get_secret_value())
        secret = settings.slack_signing_secret.get_secret_value()
        return cls(ws, api, Interactions(ws, secret, base_url, settings.baton_command))

    def blueprint(self) -> Blueprint:
        """Everything under /sandbox: the page, its assets, the Web API, response URLs."""
        bp = Blueprint("sandbox", __name__, url_prefix="/sandbox", static_folder=str(STATIC))
        bp.register_blueprint(api_blueprint(self.api, self.interactions.respond))
        bp.register_blueprint(ui_blueprint(self.workspace, self.interactions))
        return bp


class _Switchable:
    """A WSGI app whose target is replaced once Baton is assembled (same port throughout)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    def __call__(self, environ: Any, start_response: Any) -> Any:
        return self.app(environ, start_response)


@dataclass
class Sandbox:
    url: str
    baton: Baton
    emulator: Emulator
    server: BaseWSGIServer
    thread: threading.Thread

    def stop(self) -> None:
        # Delivery first: a send in flight to a stopped emulator would retry for seconds.
        self.baton.deliverer.stop()
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()
        self.baton.rt.engine.dispose()


def sandbox_settings(port: int, database_url: str | None = None) -> Settings:
    """The environment's settings (policy, command name, admins…) with a private Slack:
    fresh random credentials, the emulator's URL, and the sandbox's own database."""
    configured = load_settings()
    if database_url is None:
        explicit = "baton_database_url" in configured.model_fields_set
        database_url = configured.baton_database_url if explicit else DEFAULT_DATABASE
    return load_settings(
        slack_bot_token=f"xoxb-sandbox-{secrets.token_hex(12)}",
        slack_signing_secret=secrets.token_hex(16),
        slack_app_token=None,
        slack_api_url=f"http://127.0.0.1:{port}/sandbox/api/",
        baton_database_url=database_url,
        baton_host="127.0.0.1",
        baton_port=port,
    )


def start_sandbox(
    port: int = 3000,
    seed: str | None = None,
    database_url: str | None = None,
    workspace: Workspace | None = None,
) -> Sandbox:
    """Serve on 127.0.0.1:port (0: any free port) and return once Baton answers there.

    `workspace` continues an emulated Slack kept from an earlier sandbox (Workspace.copy(),
    beside a copy of that sandbox's database): tests start each sandbox from one seeded state
    instead of seeding and delivering it again. `baton sandbox` always starts a new one."""
    switch = _Switchable(None)
    try:
        server = make_server("127.0.0.1", port, switch, threaded=True)
    except OSError as exc:
        raise SandboxError(
            f"cannot serve on 127.0.0.1:{port} ({exc.strerror or exc}): choose another --port"
        ) from None
    port = server.server_port
    base_url = f"http://127.0.0.1:{port}"
    settings = sandbox_settings(port, database_url)
    _fresh_default_database(settings.baton_database_url)
    emulator = Emulator.for_settings(settings, base_url, workspace)
    switch.app = _bootstrap_app(emulator)
    serve = functools.partial(server.serve_forever, poll_interval=0.05)  # quick to stop
    thread = threading.Thread(target=serve, name="sandbox-http", daemon=True)
    thread.start()
    baton = assemble(settings)  # migrates, then asks the emulator who it is (auth.test)
    baton.web.register_blueprint(emulator.blueprint())
    baton.web.register_blueprint(icon_blueprint())
    switch.app = baton.web
    if seed == "demo":
        from bot.sandbox.seed import seed_demo

        for line in seed_demo(baton.rt, emulator.workspace):
            log.info("seed: %s", line)
    baton.deliverer.start(poll_seconds=2.0)
    baton.deliverer.kick()
    return Sandbox(f"{base_url}/sandbox", baton, emulator, server, thread)


def run_sandbox(port: int = 3000, seed: str | None = None) -> None:
    """`baton sandbox`: serve until Ctrl-C."""
    configure_logging(load_settings().baton_log_format)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the page long-polls: quiet
    sandbox = start_sandbox(port, seed)
    print(f"Baton sandbox running: open {sandbox.url}  (Ctrl-C stops it)", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        print("stopping the sandbox", flush=True)
    finally:
        sandbox.stop()


def _bootstrap_app(emulator: Emulator) -> Flask:
    app = Flask("baton-sandbox-bootstrap")
    app.register_blueprint(emulator.blueprint())
    return app


def _fresh_default_database(url: str) -> None:
    """The emulated Slack lives in memory, so its own database starts empty on each run too
    (cards in a kept database would point at messages that no longer exist). A database
    named by BATON_DATABASE_URL is never touched."""
    if url != DEFAULT_DATABASE:
        return
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path("sandbox.db" + suffix).unlink(missing_ok=True)
