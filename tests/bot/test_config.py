"""Start-up configuration: defaults, and a clear message naming each bad variable."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import SecretStr

from bot.config import ConfigError, Settings, load_settings
from models.policy import DEFAULT_POLICY


@pytest.fixture(autouse=True)
def clean_env(monkeypatch, tmp_path):
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


README = Path(__file__).resolve().parents[2] / "README.md"
SETTING_ROW = re.compile(r"^\| `([A-Z_]+)` \| (.+?) \|", re.MULTILINE)
# How README writes a default that is not a literal value.
# What "no value" reads as: unset (None), or an empty list or text.
NO_VALUE = {"—": (None,), "(none)": ((), ""), "built-in policy": (None,)}


def documented_defaults() -> dict[str, str]:
    return dict(SETTING_ROW.findall(README.read_text()))


def test_defaults_match_the_spec():
    """Every setting has the default README's table gives it, and every setting is in it."""
    settings = load_settings()
    documented = documented_defaults()
    assert set(documented) == {name.upper() for name in Settings.model_fields}
    for env, default in documented.items():
        value = getattr(settings, env.lower())
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        if default in NO_VALUE:
            assert value in NO_VALUE[default], env
        else:
            assert str(value) == default.strip("`"), env
    assert settings.policy() is DEFAULT_POLICY  # "built-in policy"
    assert len(documented) >= 17


def test_env_file_is_read(tmp_path):
    (tmp_path / ".env").write_text("BATON_PORT=4000\nBATON_ADMINS=U1AAA, W2BBB\n")
    s = load_settings()
    assert s.baton_port == 4000
    assert s.baton_admins == ("U1AAA", "W2BBB")


def test_api_url_gets_its_trailing_slash(monkeypatch):
    monkeypatch.setenv("SLACK_API_URL", "http://127.0.0.1:9999/api")
    assert load_settings().slack_api_url == "http://127.0.0.1:9999/api/"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("BATON_PORT", "abc", "BATON_PORT: Input should be a valid integer"),
        ("BATON_PORT", "70000", "BATON_PORT: Input should be less than or equal to 65535"),
        ("BATON_TIMEZONE", "Mars/Olympus", "BATON_TIMEZONE: unknown time zone 'Mars/Olympus'"),
        ("BATON_LOG_FORMAT", "xml", "BATON_LOG_FORMAT: Input should be 'text' or 'json'"),
        (
            "BATON_ADMINS",
            "alice",
            "BATON_ADMINS: Slack user ids like U0123ABCD expected, got alice",
        ),
        ("SLACK_API_URL", "slack.com", "SLACK_API_URL: must be an http(s) URL"),
    ],
)
def test_malformed_values_name_the_variable(monkeypatch, name, value, expected):
    monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert expected in str(err.value)


def test_http_mode_requires_the_signing_secret(monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1-secret-value")
    with pytest.raises(ConfigError, match="SLACK_SIGNING_SECRET is not set"):
        load_settings().require_http()


def test_socket_mode_requires_the_app_token(monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1-secret-value")
    with pytest.raises(ConfigError, match="SLACK_APP_TOKEN is not set"):
        load_settings().require_socket()


def test_secrets_never_appear_in_errors_or_repr(monkeypatch):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-very-secret")
    monkeypatch.setenv("BATON_PORT", "nope")
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert "xoxb-very-secret" not in str(err.value)
    monkeypatch.setenv("BATON_PORT", "3000")
    assert "xoxb-very-secret" not in repr(load_settings())


def test_broken_policy_file_stops_start_up_with_its_lines(monkeypatch, tmp_path):
    policy = tmp_path / "policy.yaml"
    policy.write_text("transitions:\n  - from: manage\n    to: nowhere\n")
    monkeypatch.setenv("BATON_POLICY_FILE", str(policy))
    with pytest.raises(ConfigError) as err:
        load_settings()
    assert "line 3: transitions.0.to" in str(err.value)


def test_missing_policy_file(monkeypatch, tmp_path):
    monkeypatch.setenv("BATON_POLICY_FILE", str(tmp_path / "absent.yaml"))
    with pytest.raises(ConfigError, match="cannot read"):
        load_settings()
