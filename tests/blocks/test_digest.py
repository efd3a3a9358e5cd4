"""The digest message as a channel reads it: who blocks what, escaped names, always within limits."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from bot.blocks.digest import digest_message
from bot.blocks.limits import violations_in_message
from models.enums import HandoffStatus, Role
from models.schemas.digest import (
    ApprovedLine,
    DigestView,
    LeadTime,
    OpenHandoffLine,
    OverdueLine,
    ProjectLine,
    WaitingOn,
)
from tests.slackbot.flow import text_of

NOW = datetime(2026, 3, 4, 9, 0, tzinfo=UTC)
SINCE = NOW - timedelta(days=1)
ARCHITECT = WaitingOn(role=Role.ML_ARCHITECT, label="ML architect", lead="UARCH")
NO_LEAD = WaitingOn(role=Role.COMPLIANCE, label="Legal / compliance", lead=None)


def open_line(key: str, **changes: Any) -> OpenHandoffLine:
    fields: dict[str, Any] = {
        "project_key": key,
        "transition": "manage → develop",
        "status": HandoffStatus.PENDING,
        "requested_by": "UDS",
        "requested_at": NOW - timedelta(hours=50),
        "age_hours": 50.0,
        "waiting_on": [ARCHITECT, NO_LEAD],
        "overdue": True,
        "due_at": NOW - timedelta(hours=2),
    }
    return OpenHandoffLine(**{**fields, **changes})


def overdue_line(key: str) -> OverdueLine:
    return OverdueLine(
        project_key=key,
        transition="manage → develop",
        role=Role.ML_ARCHITECT,
        label="ML architect",
        lead="UARCH",
        hours_overdue=2.0,
    )


def view(**parts: Any) -> DigestView:
    empty: dict[str, Any] = {
        "team_id": "THOME",
        "channel_id": "CML",
        "generated_at": NOW,
        "since": SINCE,
        "projects_by_stage": {},
        "open_handoffs": [],
        "overdue_signoffs": [],
        "lead_times": [],
        "approved_since": [],
    }
    return DigestView(**{**empty, **parts})


def test_digest_shows_who_blocks_what_what_moved_and_how_long_moves_take() -> None:
    digest = view(
        projects_by_stage={
            "manage": [ProjectLine(key="churn", name="Churn model")],
            "develop": [ProjectLine(key="fraud", name="Fraud")],
        },
        open_handoffs=[open_line("churn")],
        overdue_signoffs=[overdue_line("churn")],
        approved_since=[
            ApprovedLine(
                project_key="fraud", transition="manage → develop", approved_at=NOW, hours=10
            )
        ],
        lead_times=[
            LeadTime(transition="manage → develop", count=10, median_hours=5.5, p90_hours=9.1)
        ],
    )

    message = digest_message(digest.model_dump(mode="json"))
    said = text_of(message)

    assert message["blocks"][0]["text"]["text"] == "Baton digest"
    assert ":alarm_clock: `churn` manage → develop · *ML architect* <@UARCH> · 2h overdue" in said
    assert "waiting on *ML architect* (<@UARCH>), *Legal / compliance* (_no lead_)" in said
    assert "`fraud` manage → develop · approved <!date^" in said and "after 10h" in said
    assert "manage → develop: median 5.5h, 90th percentile 9.1h (10 approved)" in said
    assert "*Manage* (1): `churn` Churn model" in said
    assert "2 projects in <#CML>" in said
    assert message["text"] == "Baton digest: 1 open hand-off, 1 overdue sign-off"
    assert violations_in_message(message) == []


def test_changes_requested_names_the_requester_who_must_resubmit() -> None:
    line = open_line("churn", status=HandoffStatus.CHANGES_REQUESTED, waiting_on=[], overdue=False)

    said = text_of(digest_message(view(open_handoffs=[line])))

    assert (
        ":memo: `churn` manage → develop · 2.1d old · changes requested, waiting on <@UDS>" in said
    )


def test_a_project_named_like_a_ping_pings_nobody() -> None:
    digest = view(
        projects_by_stage={"manage": [ProjectLine(key="loud", name="<!channel> & <@U123>")]},
        open_handoffs=[open_line("loud")],
    )

    said = text_of(digest_message(digest))

    assert "`loud` &lt;!channel&gt; &amp; &lt;@U123&gt;" in said
    assert "<!channel>" not in said and "<@U123>" not in said


def test_one_project_is_counted_in_the_singular() -> None:
    digest = view(
        projects_by_stage={"develop": [ProjectLine(key="churn", name="Churn")]},
        open_handoffs=[open_line("churn")],
    )
    said = text_of(digest_message(digest))
    assert "1 project in <#CML>" in said and "1 projects" not in said


def test_nothing_new_is_a_single_line() -> None:
    digest = view(
        projects_by_stage={"monitor": [ProjectLine(key="churn", name="Churn")]},
        lead_times=[LeadTime(transition="manage → develop", count=1, median_hours=3, p90_hours=3)],
    )
    first_ever = view(since=None, channel_id=None)

    quiet = digest_message(digest)
    (only,) = quiet["blocks"]
    assert only["text"]["text"] == (
        ":zzz: Nothing new in <#CML> since <!date^1772528400^{date_short_pretty} {time}|"
        "2026-03-03 09:00 UTC>: no open hand-offs, nothing overdue, nothing approved."
    )
    assert text_of(digest_message(first_ever)).endswith(
        ":zzz: Nothing new: no open hand-offs, nothing overdue, nothing approved."
    )


def test_a_huge_workspace_fits_one_message_and_says_how_many_more() -> None:
    keys = [f"project-{i:05d}" for i in range(10_000)]
    digest = view(
        projects_by_stage={
            stage: [ProjectLine(key=k, name=f"Model {k} " + "x" * 60) for k in keys[i::4]]
            for i, stage in enumerate(("manage", "develop", "deploy", "monitor"))
        },
        open_handoffs=[open_line(k) for k in keys],
        overdue_signoffs=[overdue_line(k) for k in keys for _ in range(2)],
        approved_since=[
            ApprovedLine(project_key=k, transition="deploy → monitor", approved_at=NOW, hours=30)
            for k in keys
        ],
    )

    message = digest_message(digest.model_dump(mode="json"))
    said = text_of(message)

    assert violations_in_message(message) == []
    shown_open = said.count(":hourglass_flowing_sand: `project-")
    shown_overdue = said.count(":alarm_clock: `project-")
    assert shown_open > 0 and f"…and {10_000 - shown_open} more" in said
    assert shown_overdue > 0 and f"…and {20_000 - shown_overdue} more" in said
    assert "*Manage* (2500): `project-00000`" in said
    assert len(re.findall(r"…and \d+ more", said)) == 7  # overdue, open, approved, 4 stages
