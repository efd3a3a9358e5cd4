"""The MLflow gate's settings: two different aliases, and an http(s) tracking server."""

from __future__ import annotations

import pytest

from bot.config import ConfigError, load_settings


def test_the_request_and_production_aliases_default_to_challenger_and_champion():
    settings = load_settings(_env_file=None)
    assert (settings.baton_mlflow_request_alias, settings.baton_mlflow_alias) == (
        "challenger",
        "champion",
    )
    assert settings.mlflow_tracking_uri is None


def test_one_alias_for_both_is_refused_with_both_names():
    with pytest.raises(ConfigError) as refused:
        load_settings(baton_mlflow_request_alias="champion", _env_file=None)
    assert "BATON_MLFLOW_REQUEST_ALIAS and BATON_MLFLOW_ALIAS must differ" in str(refused.value)


def test_the_tracking_uri_must_be_http_and_loses_its_trailing_slash():
    assert load_settings(
        mlflow_tracking_uri="https://mlflow.acme/", _env_file=None
    ).mlflow_tracking_uri == ("https://mlflow.acme")
    with pytest.raises(ConfigError) as refused:
        load_settings(mlflow_tracking_uri="databricks", _env_file=None)
    assert "MLFLOW_TRACKING_URI: must be the http(s) URL" in str(refused.value)


def test_the_tracking_token_is_never_printed():
    settings = load_settings(mlflow_tracking_token="tok-123", _env_file=None)
    assert "tok-123" not in repr(settings)
