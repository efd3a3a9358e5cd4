"""`baton outbox list|retry`, `baton digest` and `baton worker`, run as an operator would."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.db import make_engine, make_session_factory, migrate, session_scope
from models.base import utcnow
from models.enums import OutboxStatus, Role
from models.outbox import OutboxMessage
from models.schemas.base import Actor
from models.services import projects, roster, schedules
from tests.bot.cli import baton
from tests.fakeslack import FakeSlack

TOKEN = "xoxb-test-token"


@pytest.fixture
def db_url(tmp_path) -> str:
    url = f"sqlite:///{tmp_path}/cli.db"
    engine = make_engine(url)
    migrate(engine)
    engine.dispose()
    return url


def add_rows(db_url: str, *rows: OutboxMessage) -> list[int]:
    engine = make_engine(db_url)
    with session_scope(make_session_factory(engine)) as s:
        s.add_all(rows)
        s.flush()
        ids = [r.id for r in rows]
    engine.dispose()
    return ids


def read(db_url: str, row_id: int) -> OutboxMessage:
    engine = make_engine(db_url)
    with session_scope(make_session_factory(engine)) as s:
        row = s.get(OutboxMessage, row_id)
        assert row is not None
    engine.dispose()
    return row


def message(topic: str, status: OutboxStatus, **fields: object) -> OutboxMessage:
    return OutboxMessage(team_id="THOME", topic=topic, status=status, data={}, **fields)


def failed_and_sent(db_url: str) -> tuple[int, int, int]:
    week_ago = utcnow() - timedelta(days=7)
    sent, failed, pending = add_rows(
        db_url,
        message("digest.post", OutboxStatus.SENT, channel_id="CSENT", attempts=1),
        message(
            "signoff.reminder",
            OutboxStatus.FAILED,
            user_id="UARCH",
            attempts=10,
            last_error="user_not_found",
            next_attempt_at=week_ago,
        ),
        message("handoff.requested", OutboxStatus.PENDING, channel_id="CCHURN", attempts=2),
    )
    return sent, failed, pending


def lines(output: str) -> list[list[str]]:
    return [line.split("\t") for line in output.splitlines()]


def test_new_commands_have_help(tmp_path, db_url):
    for args in (["worker"], ["digest"], ["outbox", "list"], ["outbox", "retry"]):
        result = baton(*args, "--help", db_url=db_url, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert "Usage:" in result.stdout


def test_outbox_list_shows_what_is_not_sent_yet(tmp_path, db_url):
    assert baton("outbox", "list", db_url=db_url, cwd=tmp_path).stdout == "no messages\n"
    _sent, failed, pending = failed_and_sent(db_url)

    header, *rows = lines(baton("outbox", "list", db_url=db_url, cwd=tmp_path).stdout)
    assert header == [
        "id",
        "status",
        "topic",
        "target",
        "attempts",
        "last_error",
        "next_attempt_at",
    ]
    assert [r[:6] for r in rows] == [
        [str(failed), "failed", "signoff.reminder", "UARCH", "10", "user_not_found"],
        [str(pending), "pending", "handoff.requested", "CCHURN", "2", ""],
    ]


def test_outbox_list_by_status(tmp_path, db_url):
    sent, failed, pending = failed_and_sent(db_url)
    only_failed = baton("outbox", "list", "--status", "failed", db_url=db_url, cwd=tmp_path)
    assert [r[0] for r in lines(only_failed.stdout)[1:]] == [str(failed)]
    everything = baton("outbox", "list", "--status", "all", db_url=db_url, cwd=tmp_path)
    assert [r[0] for r in lines(everything.stdout)[1:]] == [str(sent), str(failed), str(pending)]
    bad = baton("outbox", "list", "--status", "lost", db_url=db_url, cwd=tmp_path)
    assert bad.returncode == 2 and "Invalid value for '--status'" in bad.stderr


def test_outbox_list_limit_keeps_the_newest_rows_oldest_first(tmp_path, db_url):
    sent, failed, pending = failed_and_sent(db_url)

    def ids(*args: str) -> list[str]:
        result = baton("outbox", "list", *args, db_url=db_url, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        return [r[0] for r in lines(result.stdout)[1:]]

    assert ids("--limit", "1") == [str(pending)]
    assert ids("--status", "all", "--limit", "2") == [str(failed), str(pending)]
    assert ids("--status", "all", "--limit", "3") == [str(sent), str(failed), str(pending)]
    assert ids("--status", "sent", "--limit", "1") == [str(sent)]


def test_retry_queues_a_failed_message_again_now(tmp_path, db_url):
    _sent, failed, _pending = failed_and_sent(db_url)
    before = utcnow()

    result = baton("outbox", "retry", str(failed), db_url=db_url, cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert f"outbox message {failed} (signoff.reminder to UARCH) is queued again" in result.stdout
    row = read(db_url, failed)
    assert (row.status, row.attempts) == (OutboxStatus.PENDING, 0)
    assert before - timedelta(seconds=1) <= row.next_attempt_at <= utcnow()


def test_retry_refuses_unknown_and_sent_messages(tmp_path, db_url):
    sent, _failed, _pending = failed_and_sent(db_url)

    unknown = baton("outbox", "retry", "999", db_url=db_url, cwd=tmp_path)
    assert unknown.returncode == 1 and "no outbox message 999" in unknown.stderr

    again = baton("outbox", "retry", str(sent), db_url=db_url, cwd=tmp_path)
    assert again.returncode == 1 and "was already sent" in again.stderr
    assert read(db_url, sent).status == OutboxStatus.SENT


def seed_project(db_url: str) -> None:
    engine = make_engine(db_url)
    creator = Actor("THOME", "UCREATOR")
    with session_scope(make_session_factory(engine)) as s:
        projects.create_project(s, creator, "churn-model", "Churn model", "CCHURN")
        roster.assign_role(s, creator, "churn-model", Role.ML_ARCHITECT, "UARCH", lead=True)
    engine.dispose()


def digest_rows(db_url: str) -> list[OutboxMessage]:
    engine = make_engine(db_url)
    with session_scope(make_session_factory(engine)) as s:
        rows = list(s.scalars(select(OutboxMessage).where(OutboxMessage.topic == "digest.post")))
    engine.dispose()
    return rows


def test_digest_without_a_token_queues_for_the_bot(tmp_path, db_url):
    seed_project(db_url)
    result = baton("digest", db_url=db_url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "queued 1 digest(s)" in result.stdout and "wait in the outbox" in result.stdout
    (row,) = digest_rows(db_url)
    assert (row.channel_id, row.status) == ("CCHURN", OutboxStatus.PENDING)


def test_digest_of_a_project_is_posted_to_slack_once(tmp_path, db_url):
    seed_project(db_url)
    with FakeSlack(token=TOKEN, team_id="THOME") as slack:
        result = baton(
            "digest",
            "--project",
            "churn-model",
            db_url=db_url,
            cwd=tmp_path,
            env={"SLACK_BOT_TOKEN": TOKEN, "SLACK_API_URL": slack.base_url},
        )
        assert result.returncode == 0, result.stderr
        assert "delivered 1 of 1" in result.stdout
        assert "Baton digest" in slack.last_message("CCHURN")["text"]
    (row,) = digest_rows(db_url)
    assert row.status == OutboxStatus.SENT


def test_digest_of_an_unknown_project_fails_clearly(tmp_path, db_url):
    seed_project(db_url)
    result = baton("digest", "--project", "nope", db_url=db_url, cwd=tmp_path)
    assert result.returncode == 1 and "no project 'nope'" in result.stderr
    assert digest_rows(db_url) == []


def seed_two_workspaces(db_url: str) -> None:
    """churn-model in THOME's CCHURN; in TOTHER, fraud shares the channel id CCHURN and
    pricing lives in CPRICING."""
    seed_project(db_url)
    engine = make_engine(db_url)
    other = Actor("TOTHER", "UOTHER")
    with session_scope(make_session_factory(engine)) as s:
        projects.create_project(s, other, "fraud", "Fraud", "CCHURN")
        projects.create_project(s, other, "pricing", "Pricing", "CPRICING")
    engine.dispose()


def queued(db_url: str) -> list[tuple[str, str | None]]:
    return sorted((r.team_id, r.channel_id) for r in digest_rows(db_url))


def test_digest_of_one_channel_needs_its_workspace_when_two_have_it(tmp_path, db_url):
    seed_two_workspaces(db_url)
    ambiguous = baton("digest", "--channel", "CCHURN", db_url=db_url, cwd=tmp_path)
    assert ambiguous.returncode == 1
    assert "which workspace is CCHURN in? Use --team" in ambiguous.stderr
    assert queued(db_url) == []

    chosen = baton("digest", "--channel", "CCHURN", "--team", "TOTHER", db_url=db_url, cwd=tmp_path)
    assert chosen.returncode == 0, chosen.stderr
    assert "queued 1 digest(s)" in chosen.stdout
    assert queued(db_url) == [("TOTHER", "CCHURN")]

    only = baton("digest", "--channel", "CPRICING", db_url=db_url, cwd=tmp_path)
    assert only.returncode == 0, only.stderr
    assert queued(db_url) == [("TOTHER", "CCHURN"), ("TOTHER", "CPRICING")]


def test_digest_of_one_workspace_covers_each_of_its_home_channels(tmp_path, db_url):
    seed_two_workspaces(db_url)
    result = baton("digest", "--team", "TOTHER", db_url=db_url, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "queued 2 digest(s)" in result.stdout
    assert queued(db_url) == [("TOTHER", "CCHURN"), ("TOTHER", "CPRICING")]

    none = baton("digest", "--team", "TNONE", db_url=db_url, cwd=tmp_path)
    assert none.returncode == 1 and "no live projects: nothing to digest" in none.stderr
    assert len(queued(db_url)) == 2


def test_digest_of_a_project_into_another_channel(tmp_path, db_url):
    seed_two_workspaces(db_url)
    result = baton(
        "digest", "--project", "fraud", "--channel", "CELSEWHERE", db_url=db_url, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    (row,) = digest_rows(db_url)
    assert (row.team_id, row.channel_id) == ("TOTHER", "CELSEWHERE")


def test_worker_needs_the_bot_token(tmp_path, db_url):
    result = baton("worker", db_url=db_url, cwd=tmp_path)
    assert result.returncode == 1 and "SLACK_BOT_TOKEN is not set" in result.stderr


def test_worker_posts_a_due_digest_and_stops_on_sigterm(tmp_path, db_url):
    seed_project(db_url)
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BATON_"))}
    with FakeSlack(token=TOKEN, team_id="THOME") as slack:
        env = clean | {
            "BATON_DATABASE_URL": db_url,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": slack.base_url,
        }
        # Due two minutes ago (inside the grace time): the first tick at start-up posts it.
        started = utcnow() - timedelta(minutes=2)
        engine = make_engine(db_url)
        with session_scope(make_session_factory(engine)) as s:
            schedules.set_schedule(
                s, Actor("THOME", "UALICE"), "CCHURN", "* * * * *", "UTC", started
            )
        engine.dispose()
        worker = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "worker"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            slack.wait_for(lambda: slack.messages("CCHURN"), timeout=30)
        finally:
            worker.send_signal(signal.SIGTERM)
            err = _stopped(worker)
    assert worker.returncode == 0, err
    assert "worker stopping (SIGTERM)" in err
    assert "Baton digest" in slack.last_message("CCHURN")["text"]


def _stopped(worker: subprocess.Popen[str]) -> str:
    """Its stderr once it exits; killed (never left running) if it hangs past 30 s."""
    try:
        return worker.communicate(timeout=30)[1]
    except subprocess.TimeoutExpired:
        worker.kill()
        err = worker.communicate(timeout=10)[1]
        pytest.fail(f"`baton worker` did not exit within 30 s of SIGTERM:\n{err[-3000:]}")


def test_a_sigterm_during_start_up_stops_the_worker_cleanly_once_started(tmp_path):
    """The worker is held in its migration (the test holds SQLite's write lock) when SIGTERM
    arrives: it is not killed half-started, it starts, then stops in order and exits 0."""
    url = f"sqlite:///{tmp_path}/starting.db"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "BATON_"))}
    holder = sqlite3.connect(tmp_path / "starting.db", isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # the worker's migration waits for this write lock
    with FakeSlack(token=TOKEN, team_id="THOME") as slack:
        env = clean | {
            "BATON_DATABASE_URL": url,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_API_URL": slack.base_url,
        }
        worker = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "worker"],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            assert worker.stderr is not None
            started = [worker.stderr.readline()]
            while "worker starting" not in started[-1]:
                assert started[-1], f"the worker exited: {''.join(started)}"
                started.append(worker.stderr.readline())
            worker.send_signal(signal.SIGTERM)  # while the migration waits for the lock
        finally:
            holder.rollback()
            holder.close()
            err = "".join(started) + _stopped(worker)
    assert worker.returncode == 0, err
    assert "worker running" in err and "worker stopping (SIGTERM)" in err


def test_outbox_list_and_retry_name_where_a_sink_row_goes(tmp_path, db_url):
    (hook,) = add_rows(
        db_url,
        OutboxMessage(
            team_id="T_HOME",
            topic="webhook.event",
            sink="webhook",
            sink_target="webhook:3",
            status=OutboxStatus.FAILED,
            attempts=4,
            last_error="http_404",
        ),
    )
    _header, *rows = lines(baton("outbox", "list", db_url=db_url, cwd=tmp_path).stdout)
    assert [r[:6] for r in rows] == [
        [str(hook), "failed", "webhook.event", "webhook:3", "4", "http_404"]
    ]
    retried = baton("outbox", "retry", str(hook), db_url=db_url, cwd=tmp_path).stdout
    assert retried == f"outbox message {hook} (webhook.event to webhook:3) is queued again\n"
