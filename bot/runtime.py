"""Everything a request or job needs, built once per process from Settings."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial

from slack_sdk import WebClient
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from bot.blocks.text import use_slash_command
from bot.config import Settings
from bot.db import make_engine, make_session_factory, read_only, session_scope
from bot.slack import make_client
from models.policy import Policy
from models.schemas.base import Actor
from models.sources import SourcePolicy
from models.workspace import Workspace


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]
    policy: Policy
    client: WebClient
    admins: frozenset[str] = field(default_factory=frozenset)
    # Where monitor sources may point; None: from BATON_METRIC_SOURCES_ALLOW (tests pass one).
    metric_sources: SourcePolicy | None = None
    _read_engines: dict[Engine, Engine] = field(default_factory=dict, repr=False)

    @classmethod
    def from_settings(cls, settings: Settings, client: WebClient | None = None) -> Runtime:
        engine = make_engine(settings.baton_database_url)
        return cls(
            settings=settings,
            engine=engine,
            sessions=make_session_factory(engine),
            policy=settings.policy(),
            client=client or make_client(settings),
            admins=frozenset(settings.baton_admins),
        )

    def __post_init__(self) -> None:
        use_slash_command(self.settings.baton_command)
        if self.metric_sources is None:
            self.metric_sources = self.settings.metric_sources()

    @contextmanager
    def session(self, *, reading: bool = False) -> Iterator[Session]:
        """One unit of work; `reading=True` for one that writes nothing (answers, cards)."""
        factory: Callable[[], Session] = self.sessions
        if reading:
            factory = partial(self.sessions, bind=self._read_only(self.sessions.kw["bind"]))
        with session_scope(factory) as s:
            yield s

    def _read_only(self, engine: Engine) -> Engine:
        if (reader := self._read_engines.get(engine)) is None:
            reader = self._read_engines[engine] = read_only(engine)
        return reader

    def actor(self, team_id: str, user_id: str) -> Actor:
        return Actor(team_id=team_id, user_id=user_id, is_admin=user_id in self.admins)

    def installed_teams(self) -> set[str]:
        with self.session(reading=True) as s:
            return set(s.scalars(select(Workspace.team_id)))

    def register_workspace(self) -> str:
        """Ask Slack which workspace the bot token belongs to and remember it as installed."""
        info = self.client.auth_test()
        team_id, name = str(info["team_id"]), str(info.get("team", ""))
        with self.session() as s:
            ws = s.get(Workspace, team_id)
            if ws is None:
                s.add(Workspace(team_id=team_id, name=name, bot_user_id=info.get("user_id")))
            else:
                ws.name, ws.bot_user_id = name, info.get("user_id")
        return team_id
