"""`baton webhook add|list|remove`, run as an operator would: a real process, a real file."""

from __future__ import annotations

from bot.db import make_engine, make_session_factory, migrate, session_scope
from models.webhooks import WebhookSubscription
from models.workspace import Workspace
from tests.bot.test_cli import baton


def _install(db_url: str) -> None:
    engine = make_engine(db_url)
    migrate(engine)
    with session_scope(make_session_factory(engine)) as s:
        s.add(Workspace(team_id="THOME", name="home"))
    engine.dispose()


def _stored(db_url: str) -> list[tuple[str, list[str], str, bool]]:
    engine = make_engine(db_url)
    try:
        with session_scope(make_session_factory(engine)) as s:
            rows = s.query(WebhookSubscription).order_by(WebhookSubscription.id)
            return [(w.url, list(w.events), w.secret, w.active) for w in rows]
    finally:
        engine.dispose()


def test_add_shows_the_secret_once_list_never_and_remove_stops_it(tmp_path):
    db_url = f"sqlite:///{tmp_path}/cli.db"
    _install(db_url)
    url = "https://ci.example.com/hooks/baton"
    added = baton(
        "webhook",
        "add",
        url,
        "--events",
        "handoff.decided,stage.changed",
        db_url=db_url,
        cwd=tmp_path,
    )
    assert added.returncode == 0, added.stderr
    secret = added.stdout.strip()
    assert secret.startswith("whsec_") and "\n" not in secret
    assert "shown only this once" in added.stderr
    assert _stored(db_url) == [(url, ["handoff.decided", "stage.changed"], secret, True)]
    listed = baton("webhook", "list", db_url=db_url, cwd=tmp_path)
    assert secret not in listed.stdout
    header, row = listed.stdout.splitlines()
    assert header.split("\t") == ["id", "url", "events", "created_at", "status"]
    assert row.split("\t")[:3] == ["1", url, "handoff.decided,stage.changed"]
    removed = baton("webhook", "remove", "1", db_url=db_url, cwd=tmp_path)
    assert removed.returncode == 0 and "Removed webhook 1" in removed.stdout
    assert _stored(db_url)[0][3] is False
    again = baton("webhook", "remove", "1", db_url=db_url, cwd=tmp_path)
    assert again.returncode == 1 and "No webhook 1" in again.stderr


def test_bad_input_is_refused_with_a_message_and_stores_nothing(tmp_path):
    db_url = f"sqlite:///{tmp_path}/cli.db"
    _install(db_url)
    for args, why in [
        (("file:///etc/passwd", "--events", "stage.changed"), "http:// or https://"),
        (("https://a.example/h", "--events", "deployed"), "Unknown event"),
        (("https://u:p@a.example/h", "--events", "stage.changed"), "credentials"),
    ]:
        result = baton("webhook", "add", *args, db_url=db_url, cwd=tmp_path)
        assert result.returncode == 1 and why in result.stderr, result.stderr
        assert "Traceback" not in result.stderr
    assert _stored(db_url) == []
