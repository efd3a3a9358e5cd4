"""What a scheduled job is handed: sessions, the policy, settings it needs. No Slack client:
jobs write outbox rows, and the deliverer sends them."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from sqlalchemy.orm import Session, sessionmaker

from models.people import Profile
from models.policy import Policy
from models.services.alerts import ESCALATION_MINUTES
from models.sources import SourcePolicy
from models.working_hours import DEFAULT_WORKING_HOURS, WorkingHours


@dataclass(frozen=True)
class JobContext:
    sessions: sessionmaker[Session]
    policy: Policy
    timezone: str = "UTC"
    replica: str = "local"  # who claimed a run, for the job_runs table and the logs
    digest_grace_seconds: int = 3600
    # An open alert nobody acknowledged this long pings the architect.
    alert_escalation_minutes: int = ESCALATION_MINUTES
    # Where metric sources may point (BATON_METRIC_SOURCES_ALLOW); public addresses by default.
    metric_sources: SourcePolicy = field(default_factory=SourcePolicy)
    resolve: Callable[[str, int], list[str]] | None = None  # DNS for sources; None: the system's
    # Observations older than this many days are pruned daily; None keeps them all.
    observation_retention_days: int | None = None
    # Slack's profile of a person (users.info), for the roster check; None: nobody asked.
    people: Callable[[str, str], Profile | None] | None = None
    # When reminders may reach a person, in their own zone (BATON_WORKING_HOURS).
    working_hours: WorkingHours = field(
        default_factory=lambda: WorkingHours.parse(DEFAULT_WORKING_HOURS)
    )

    def cache_zones(self, unknown: dict[str, list[str]]) -> None:
        """Ask Slack (users.info, outside any transaction) for the zones of these people, by
        workspace: the lookup caches each beside the name, so "09:00" or "midnight" is theirs."""
        if self.people is None:
            return
        for team, users in unknown.items():
            for user in users:
                self.people(team, user)

    @contextmanager
    def session(self) -> Iterator[Session]:
        with self.sessions() as s, s.begin():
            yield s
