"""Settings from the environment and `.env` (pydantic-settings), checked once at start-up."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from models.policy import DEFAULT_POLICY, Policy, PolicyError, load_policy
from models.services.alerts import ESCALATION_MINUTES
from models.sources import SourcePolicy
from models.working_hours import DEFAULT_WORKING_HOURS, WorkingHours

SLACK_API_DEFAULT = "https://slack.com/api/"


class ConfigError(RuntimeError):
    """A setting that is missing or malformed; the message names the variable."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = SLACK_API_DEFAULT
    baton_database_url: str = "sqlite:///baton.db"
    baton_timezone: str = "UTC"
    baton_admins: Annotated[tuple[str, ...], NoDecode] = ()
    baton_policy_file: Path | None = None
    baton_host: str = "127.0.0.1"
    baton_port: int = Field(default=3000, ge=1, le=65535)
    baton_log_format: Literal["text", "json"] = "text"
    baton_command: str = Field(default="/mlops", pattern=r"^/[a-z0-9_-]{1,31}$")
    # "off" in web processes when a dedicated `baton worker` runs the scheduled jobs.
    baton_scheduler: Literal["on", "off"] = "on"
    # A digest missed while no process ran is still sent if at most this late.
    baton_digest_grace_minutes: int = Field(default=60, ge=0)
    baton_alert_escalation_minutes: int = Field(default=ESCALATION_MINUTES, ge=1)
    # Reminders and escalations reach a person only inside these hours, in their Slack zone.
    baton_working_hours: str = DEFAULT_WORKING_HOURS
    # The secret given to MLflow when creating the webhook; without it /webhooks/mlflow answers 503.
    mlflow_webhook_secret: SecretStr | None = None
    # MLflow's REST API, for setting the production alias and the sign-off tags.
    mlflow_tracking_uri: str | None = None
    mlflow_tracking_token: SecretStr | None = None  # sent as a bearer token when set
    # Setting this alias on a linked model's version in MLflow requests develop → deploy.
    baton_mlflow_request_alias: str = Field(default="challenger", min_length=1, max_length=255)
    # The production alias (what serving loads): Baton sets it on that version after sign-off.
    baton_mlflow_alias: str = Field(default="champion", min_length=1, max_length=255)
    # Long polls (`GET /api/v1/handoffs/{id}?wait=`) each hold a gunicorn thread while they
    # wait; beyond this many per process a poll is answered 429 with Retry-After.
    baton_api_max_waiters: int = Field(default=4, ge=0, le=1000)
    # A message a deliverer claimed is leased to it this long, renewed by a heartbeat every
    # quarter of it: a deliverer killed mid-send is taken over this many seconds later.
    baton_outbox_lease_seconds: int = Field(default=10, ge=2, le=600)
    # Monitoring observations older than this many days are pruned daily by the scheduler (and
    # by `baton observations prune`); unset keeps them all. Audit events are never deleted.
    baton_observation_retention_days: int | None = Field(default=None, ge=1, le=36500)
    # Private hosts and CIDRs monitor sources may reach (loopback and link-local never can).
    baton_metric_sources_allow: str = ""

    @field_validator("slack_api_url")
    @classmethod
    def _api_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http(s) URL such as https://slack.com/api/")
        return value if value.endswith("/") else value + "/"

    @field_validator("mlflow_tracking_uri")
    @classmethod
    def _tracking_uri(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be the http(s) URL of the MLflow tracking server")
        return value.rstrip("/")

    @model_validator(mode="after")
    def _two_mlflow_aliases(self) -> Settings:
        if self.baton_mlflow_request_alias == self.baton_mlflow_alias:
            raise ValueError(
                "BATON_MLFLOW_REQUEST_ALIAS and BATON_MLFLOW_ALIAS must differ: the first "
                "asks for sign-off, Baton sets the second after it"
            )
        return self

    @field_validator("baton_working_hours")
    @classmethod
    def _working_hours(cls, value: str) -> str:
        WorkingHours.parse(value)  # its ValueError names what is wrong
        return value

    def working_hours(self) -> WorkingHours:
        return WorkingHours.parse(self.baton_working_hours)

    @field_validator("baton_timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone '{value}' (use an IANA name like Europe/Berlin)"
            ) from exc
        return value

    @field_validator("baton_admins", mode="before")
    @classmethod
    def _admins(cls, value: object) -> object:
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        return value

    @field_validator("baton_admins")
    @classmethod
    def _admin_ids(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        bad = [v for v in value if v[:1] not in ("U", "W") or not v.isalnum()]
        if bad:
            raise ValueError(f"Slack user ids like U0123ABCD expected, got {', '.join(bad)}")
        return value

    @field_validator("baton_metric_sources_allow")
    @classmethod
    def _sources_allow(cls, value: str) -> str:
        SourcePolicy.from_setting(value)  # ValueError names the entry
        return value

    def metric_sources(self) -> SourcePolicy:
        return SourcePolicy.from_setting(self.baton_metric_sources_allow)

    def policy(self) -> Policy:
        if self.baton_policy_file is None:
            return DEFAULT_POLICY
        try:
            return load_policy(self.baton_policy_file)
        except OSError as exc:
            raise ConfigError(
                f"BATON_POLICY_FILE: cannot read {self.baton_policy_file}: {exc.strerror}"
            ) from exc
        except PolicyError as exc:
            lines = "\n  ".join(exc.problems)
            raise ConfigError(
                f"BATON_POLICY_FILE {exc.path} is not a valid policy:\n  {lines}"
            ) from exc

    def require_http(self) -> None:
        """HTTP mode cannot verify Slack's requests without the signing secret (bolt would 500)."""
        self._require(
            "slack_bot_token", "SLACK_BOT_TOKEN", "the bot token (xoxb-…) from the app's OAuth page"
        )
        self._require(
            "slack_signing_secret",
            "SLACK_SIGNING_SECRET",
            "the app's signing secret (Basic Information)",
        )

    def require_socket(self) -> None:
        self._require(
            "slack_bot_token", "SLACK_BOT_TOKEN", "the bot token (xoxb-…) from the app's OAuth page"
        )
        self._require(
            "slack_app_token",
            "SLACK_APP_TOKEN",
            "an app-level token (xapp-…) with connections:write",
        )

    def _require(self, field: str, env: str, what: str) -> None:
        value: SecretStr | None = getattr(self, field)
        if value is None or not value.get_secret_value().strip():
            raise ConfigError(f"{env} is not set: it must hold {what}.")


def load_settings(**overrides: object) -> Settings:
    """Settings, or a ConfigError naming each bad variable (never echoing secret values)."""
    try:
        settings = Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = [
            f"{_env_name(e['loc'])}: {e['msg'].removeprefix('Value error, ')}" for e in exc.errors()
        ]
        raise ConfigError("invalid configuration:\n  " + "\n  ".join(problems)) from None
    settings.policy()
    return settings


def _env_name(loc: tuple[object, ...]) -> str:
    return str(loc[0]).upper() if loc else "(settings)"
