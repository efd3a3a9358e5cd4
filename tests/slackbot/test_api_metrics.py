"""POST /api/v1/metrics: a pipeline pushes values; monitors record them and breaches alert.

Every response is also checked against the published OpenAPI document (api_client.py).
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from models.monitor import Alert, Observation
from models.schemas.base import Actor
from models.services import monitoring
from tests.slackbot.api_client import Api, make_token
from tests.slackbot.flow import text_of
from tests.slackbot.harness import HOME

OTHER = "TOTHER"


@pytest.fixture
def api(bot, db) -> Api:
    return Api(bot.url, make_token(db))


# -- POST /api/v1/metrics --------------------------------------------------------------------


def _monitor(db, seeded, metric: str = "auc", direction: str = "min", threshold: float = 0.8):
    with db.session() as s:
        monitoring.add_monitor(s, Actor(HOME, seeded.ds), seeded.key, metric, direction, threshold)


def _observations(db) -> list[tuple[float, str, bool, datetime]]:
    with db.session() as s:
        rows = s.scalars(select(Observation).order_by(Observation.id))
        return [(o.value, o.source, o.breach, o.observed_at) for o in rows]


def test_a_pushed_value_is_recorded(api, db, seeded):
    _monitor(db, seeded)
    response = api.post("/api/v1/metrics", {"project": seeded.key, "metric": "auc", "value": 0.91})
    assert response.status_code == 200
    assert response.json() == {"accepted": 1, "alerts_opened": 0, "unmatched": []}
    ((value, source, breach, _),) = _observations(db)
    assert (value, source, breach) == (0.91, "api", False)


def test_a_breach_opens_an_alert_in_the_channel(api, bot, slack, db, seeded):
    _monitor(db, seeded)
    response = api.post("/api/v1/metrics", {"project": seeded.key, "metric": "auc", "value": 0.7})
    assert response.json()["alerts_opened"] == 1
    with db.session() as s:
        assert s.scalars(select(Alert.status)).one() == "open"
    bot.deliver()
    assert "auc" in text_of(slack.last_message(seeded.channel))


def test_a_batch_of_a_thousand_is_recorded_whole_and_one_more_is_refused(api, db, seeded):
    _monitor(db, seeded)
    base = datetime(2026, 3, 1, tzinfo=UTC).timestamp()
    batch = [
        {
            "project": seeded.key,
            "metric": "auc",
            "value": 0.85 + (n % 10) / 100,
            "observed_at": datetime.fromtimestamp(base + 60 * n, UTC).isoformat(),
        }
        for n in range(1000)
    ]
    response = api.post("/api/v1/metrics", {"observations": batch})
    assert response.status_code == 200
    assert response.json() == {"accepted": 1000, "alerts_opened": 0, "unmatched": []}
    recorded = _observations(db)
    assert len(recorded) == 1000
    assert sorted(when for *_, when in recorded)[-1] == datetime.fromtimestamp(base + 59940, UTC)
    too_many = api.post("/api/v1/metrics", {"observations": [*batch, batch[0]]})
    assert too_many.status_code == 422
    assert "observations" in str(too_many.json())
    assert len(_observations(db)) == 1000


def test_a_batch_keeps_each_time_and_reports_what_no_monitor_watches(api, db, seeded):
    _monitor(db, seeded)
    _monitor(db, seeded, "p95_latency_ms", "max", 250)
    at = "2026-03-01T08:00:00+01:00"
    batch = [
        {"project": seeded.key, "metric": "auc", "value": 0.9, "observed_at": at},
        {"project": seeded.key, "metric": "p95_latency_ms", "value": 120},
        {"project": seeded.key, "metric": "recall", "value": 0.5},
    ]
    response = api.post("/api/v1/metrics", {"observations": batch})
    assert response.status_code == 200
    assert response.json() == {
        "accepted": 2,
        "alerts_opened": 0,
        "unmatched": [{"project": seeded.key, "metric": "recall"}],
    }
    times = {value: when for value, _, _, when in _observations(db)}
    assert times[0.9] == datetime(2026, 3, 1, 7, 0, tzinfo=UTC)


def test_values_nobody_monitors_are_not_found(api, db, seeded):
    response = api.post("/api/v1/metrics", {"project": seeded.key, "metric": "auc", "value": 1})
    assert response.status_code == 404
    assert "churn-model/auc" in response.json()["error"]
    assert _observations(db) == []


def test_metrics_never_reach_another_workspace(api, bot, db, seeded):
    _monitor(db, seeded)
    theirs = Api(bot.url, make_token(db, OTHER, "their-ci"))
    push = theirs.post("/api/v1/metrics", {"project": seeded.key, "metric": "auc", "value": 0.1})
    assert push.status_code == 404
    assert _observations(db) == []
