"""The digest a channel receives: what waits, who blocks it, what is late, how long moves take."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, insert, select

from bot.blocks.digest import digest_message
from jobs import digest as digest_job
from jobs import digests_due
from jobs.context import JobContext
from models import DigestSchedule, Handoff, OutboxMessage, Project, RoleAssignment, SignOff
from models.enums import Decision, HandoffStatus, Role, Stage
from models.errors import NotFound
from models.policy import DEFAULT_POLICY
from models.schemas.base import Actor
from models.schemas.digest import DigestView, LeadTime, OverdueLine, ProjectLine
from models.schemas.projects import HandoffView, RosterGap
from models.services import decisions, handoffs, monitoring, projects, roster
from models.services.digest import LINES_KEPT, build_digest, lead_times
from models.services.digest_approvals import percentile
from models.services.digest_post import DigestTarget, post_digest
from models.services.schedules import set_schedule
from tests.conftest import Clock, Database

T, T_OTHER = "T_HOME", "T_OTHER"
P = DEFAULT_POLICY
HOME, ELSEWHERE = "CML", "CELSEWHERE"
MINUTE = timedelta(minutes=1)
CREATOR = "U_CREATOR"
REQUESTER = "U_DS"
LEADS = {Role.DATA_SCIENTIST: "U_DS", Role.DOMAIN_EXPERT: "U_DOM", Role.ML_ARCHITECT: "U_ARCH"}
DEVELOP_PACKET = {
    "objective": "Predict churn 30 days ahead",
    "success_metric": "AUC >= 0.85 on holdout",
    "data_sources": "warehouse.customers",
    "target_date": "2026-04-01",
}


# -- given: projects and hand-offs made through the services, as people would -----------------


def make_project(
    db: Database, key: str, channel: str = HOME, team: str = T, leads: dict[Role, str] = LEADS
) -> None:
    creator = Actor(team, CREATOR)
    with db.session() as s:
        projects.create_project(s, creator, key, key.capitalize(), channel)
        for role, user in leads.items():
            roster.assign_role(s, creator, key, role, user, lead=True)


def request(db: Database, key: str, team: str = T, by: str = REQUESTER) -> HandoffView:
    with db.session() as s:
        return handoffs.request_handoff(
            s, Actor(team, by), key, None, DEVELOP_PACKET, DEFAULT_POLICY
        )


def decide(
    db: Database, view: HandoffView, user: str, decision: Decision = Decision.APPROVED
) -> None:
    reason = None if decision == Decision.APPROVED else "needs a holdout set"
    with db.session() as s:
        decisions.decide(s, Actor(view.team_id, user), view.id, decision, DEFAULT_POLICY, reason)


def digest(db: Database, now: datetime, team: str = T, **scope: Any) -> DigestView:
    with db.session() as s:
        return build_digest(s, team, now, policy=DEFAULT_POLICY, **scope)


# -- the digest's content ----------------------------------------------------------------------


def test_digest_names_overdue_signoffs_open_handoffs_and_fresh_approvals(
    db: Database, clock: Clock
) -> None:
    start = clock.now()
    for key in ("churn", "fraud"):
        make_project(db, key)
    make_project(db, "ranker", channel=ELSEWHERE)
    churn = request(db, "churn")
    decide(db, churn, "U_DOM")
    fraud = request(db, "fraud")
    clock.advance(hours=10)
    decide(db, fraud, "U_DOM")
    decide(db, fraud, "U_ARCH")
    clock.advance(hours=40)  # churn is now 50h old against a 48h SLA
    request(db, "ranker")

    view = digest(db, clock.now(), channel_id=HOME, since=start)

    assert view.projects_by_stage == {
        "manage": [ProjectLine(key="churn", name="Churn")],
        "develop": [ProjectLine(key="fraud", name="Fraud")],
    }
    (line,) = view.open_handoffs
    assert (line.project_key, line.transition, line.age_hours) == ("churn", "manage → develop", 50)
    assert [(w.label, w.lead) for w in line.waiting_on] == [("ML architect", "U_ARCH")]
    assert line.overdue
    assert view.overdue_signoffs == [
        OverdueLine(
            project_key="churn",
            transition="manage → develop",
            role=Role.ML_ARCHITECT,
            label="ML architect",
            lead="U_ARCH",
            hours_overdue=2,
        )
    ]
    assert [(a.project_key, a.hours) for a in view.approved_since] == [("fraud", 10)]
    assert view.lead_times == [
        LeadTime(transition="manage → develop", count=1, median_hours=10, p90_hours=10)
    ]
    assert not view.nothing_new
    # Stored in an outbox row as JSON and read back unchanged.
    assert DigestView.model_validate(view.model_dump(mode="json")) == view


def test_changes_requested_waits_on_the_requester_and_is_never_overdue(
    db: Database, clock: Clock
) -> None:
    make_project(db, "churn")
    churn = request(db, "churn")
    decide(db, churn, "U_ARCH", Decision.CHANGES_REQUESTED)
    clock.advance(hours=72)

    view = digest(db, clock.now())

    (line,) = view.open_handoffs
    assert (line.status, line.requested_by, line.waiting_on) == (
        HandoffStatus.CHANGES_REQUESTED,
        REQUESTER,
        [],
    )
    assert not line.overdue and view.overdue_signoffs == []


def test_lead_times_are_median_and_90th_percentile_over_90_days(db: Database, clock: Clock) -> None:
    now = clock.now()
    with db.session() as s:
        ids = bulk_projects(s, T, 2, HOME)
        churn, other = ids["p-00000"], ids["p-00001"]
        for hours in range(1, 11):  # 1h..10h: median 5.5h, p90 9.1h (linear interpolation)
            add_approved(s, churn, now - timedelta(days=1), hours)
        add_approved(s, churn, now - timedelta(days=91), 500)  # outside the window
        add_approved(s, churn, now - timedelta(days=2), 1000, status=HandoffStatus.REJECTED)
        add_approved(s, other, now - timedelta(days=3), 4, stages=(Stage.DEPLOY, Stage.MONITOR))

    with db.session() as s:
        everywhere = lead_times(s, T, now)
        one = lead_times(s, T, now, project_key="p-00001")

    assert everywhere == [
        LeadTime(transition="manage → develop", count=10, median_hours=5.5, p90_hours=9.1),
        LeadTime(transition="deploy → monitor", count=1, median_hours=4, p90_hours=4),
    ]
    assert one == [LeadTime(transition="deploy → monitor", count=1, median_hours=4, p90_hours=4)]


@pytest.mark.parametrize("n", [1, 2, 11, 21, 37])
def test_lead_times_match_the_percentiles_of_every_duration(
    db: Database, clock: Clock, n: int
) -> None:
    """PostgreSQL sends only the ranks the percentiles read: they must be the right ones for
    any count, including those where (n - 1) * 0.9 is a whole number."""
    now = clock.now()
    hours = [((7 * k) % n) + k / 7 for k in range(n)]  # shuffled, none equal, no .xx5 ties
    with db.session() as s:
        (pid,) = bulk_projects(s, T, 1, HOME).values()
        for h in hours:
            add_approved(s, pid, now - timedelta(days=1), h)

    with db.session() as s:
        (got,) = lead_times(s, T, now)

    ordered = sorted(hours)
    assert (got.count, got.median_hours, got.p90_hours) == (
        n,
        round(percentile(ordered, 0.5), 2),
        round(percentile(ordered, 0.9), 2),
    )


def test_scope_is_a_channel_a_project_or_the_workspace(db: Database, clock: Clock) -> None:
    for key, channel in (("churn", HOME), ("fraud", HOME), ("ranker", ELSEWHERE)):
        make_project(db, key, channel)
        request(db, key)
    now = clock.now()

    def keys(view: DigestView) -> list[str]:
        return [h.project_key for h in view.open_handoffs]

    assert keys(digest(db, now, channel_id=HOME)) == ["churn", "fraud"]
    assert keys(digest(db, now, project_key="ranker")) == ["ranker"]
    assert keys(digest(db, now)) == ["churn", "fraud", "ranker"]
    with pytest.raises(NotFound):
        digest(db, now, project_key="nope")


def test_archived_projects_are_left_out_everywhere(db: Database, clock: Clock) -> None:
    start = clock.now()
    make_project(db, "old")
    make_project(db, "live")
    old = request(db, "old")
    clock.advance(hours=3)
    decide(db, old, "U_DOM")
    decide(db, old, "U_ARCH")
    ds = Actor(T, REQUESTER)
    with db.session() as s:  # a monitor with an open alert on it, to be archived with it
        monitoring.add_monitor(s, ds, "old", "auc", "min", 0.8)
        assert monitoring.record_observation(s, ds, "old", "auc", 0.5, "slack", clock.now())
    before = digest(db, clock.now(), since=start)
    assert [m.alert is not None for m in before.monitors] == [True]
    assert before.approved_since and before.lead_times  # what archiving must take away
    with db.session() as s:
        projects.archive_project(s, Actor(T, CREATOR), "old")

    view = digest(db, clock.now(), since=start)

    assert view.projects_by_stage == {"manage": [ProjectLine(key="live", name="Live")]}
    assert (view.approved_since, view.lead_times) == ([], [])
    assert (view.open_handoffs, view.overdue_signoffs, view.monitors) == ([], [], [])
    assert view.nothing_new


def test_a_quiet_channel_gets_one_line_saying_nothing_is_new(db: Database, clock: Clock) -> None:
    make_project(db, "churn")
    churn = request(db, "churn")
    decide(db, churn, "U_DOM")
    decide(db, churn, "U_ARCH")
    clock.advance(days=1)
    since = clock.now()  # the last digest went out after that approval
    clock.advance(days=1)

    view = digest(db, clock.now(), channel_id=HOME, since=since)

    assert view.nothing_new and len(view.lead_times) == 1
    message = digest_message(view.model_dump(mode="json"))
    (block,) = message["blocks"]
    assert block["text"]["text"].startswith(":zzz: Nothing new in <#CML> since <!date^")


def test_another_workspace_with_the_same_keys_and_channel_never_leaks_in(
    db: Database, clock: Clock
) -> None:
    make_project(db, "churn")
    request(db, "churn")
    theirs_leads = {role: f"{user}_X" for role, user in LEADS.items()}
    make_project(db, "churn", team=T_OTHER, leads=theirs_leads)
    make_project(db, "secret", team=T_OTHER)
    theirs = request(db, "churn", team=T_OTHER, by="U_DS_X")
    decide(db, theirs, "U_ARCH_X")
    clock.advance(hours=60)

    view = digest(db, clock.now(), channel_id=HOME)

    assert view.projects_by_stage == {"manage": [ProjectLine(key="churn", name="Churn")]}
    (line,) = view.open_handoffs
    assert [w.lead for w in line.waiting_on] == ["U_DOM", "U_ARCH"]
    assert {o.lead for o in view.overdue_signoffs} == {"U_DOM", "U_ARCH"}


def test_a_required_role_nobody_leads_is_flagged_and_a_staffed_project_is_not(
    db: Database, clock: Clock
) -> None:
    make_project(db, "churn")  # every lead its next hand-off (manage → develop) needs
    make_project(db, "fraud", leads={Role.DATA_SCIENTIST: "U_DS", Role.ML_ARCHITECT: "U_ARCH"})
    make_project(db, "ranker", leads={})
    with db.session() as s:  # the architect lead handed over: staffed, by the current lead
        roster.assign_role(s, Actor(T, CREATOR), "churn", Role.ML_ARCHITECT, "U_ARCH", lead=False)
        roster.assign_role(s, Actor(T, CREATOR), "churn", Role.ML_ARCHITECT, "U_NEW", lead=True)
    make_project(db, "elsewhere", channel=ELSEWHERE, leads={})

    view = digest(db, clock.now(), channel_id=HOME)

    assert view.roster_gaps == [
        RosterGap(
            project_key="fraud",
            project_name="Fraud",
            to_stage=Stage.DEVELOP,
            vacant=[Role.DOMAIN_EXPERT],
        ),
        RosterGap(
            project_key="ranker",
            project_name="Ranker",
            to_stage=Stage.DEVELOP,
            vacant=[Role.DOMAIN_EXPERT, Role.ML_ARCHITECT],
        ),
    ]
    assert not view.nothing_new  # a gap alone keeps a scheduled digest whole
    assert DigestView.model_validate(view.model_dump(mode="json")) == view
    said = json.dumps(digest_message(view), ensure_ascii=False)
    assert "`fraud` develop needs a Domain expert / business translator lead" in said
    assert (
        "`ranker` develop needs a Domain expert / business translator lead; "
        "develop needs an ML architect lead" in said
    )
    assert "`churn` develop" not in said and "elsewhere" not in said


# -- cost: the number of statements does not grow with the number of projects ----------------


def test_digest_costs_the_same_statements_for_10_and_1000_projects(
    db: Database, clock: Clock
) -> None:
    now = clock.now()
    with db.session() as s:
        bulk_workspace(s, "T_SMALL", 10, now)
        bulk_workspace(s, "T_LARGE", 1000, now)

    small, small_view = count_statements(
        db, lambda s: build_digest(s, "T_SMALL", now, policy=P, since=now)
    )
    large, large_view = count_statements(
        db, lambda s: build_digest(s, "T_LARGE", now, policy=P, since=now)
    )

    assert small == large <= 7, (small, large)
    assert large_view.total("open_handoffs") == large_view.total("overdue_signoffs") == 1000
    assert len(large_view.open_handoffs) == len(large_view.overdue_signoffs) == LINES_KEPT
    assert large_view.lead_times[0].count == 2000
    assert len(small_view.open_handoffs) == small_view.total("open_handoffs") == 10
    assert small_view.totals == {}  # nothing was cut


def test_a_digest_keeps_only_lines_its_message_can_show_and_reads_the_same(
    db: Database, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """1,000 projects, each with an overdue open hand-off: the digest keeps the first
    LINES_KEPT lines of each part with their totals, and its message is the very message the
    whole digest would make, at a fraction of the stored size."""
    now = clock.now()
    with db.session() as s:
        bulk_workspace(s, "T_LARGE", 1000, now)
        s.execute(insert(Project), [unstaffed("T_LARGE", i) for i in range(300)])
    with db.session() as s:
        kept = build_digest(s, "T_LARGE", now, policy=P, since=now - timedelta(days=30))
    monkeypatch.setattr("models.services.digest.LINES_KEPT", 10**6)
    with db.session() as s:
        whole = build_digest(s, "T_LARGE", now, policy=P, since=now - timedelta(days=30))

    assert whole.totals == {} and len(whole.open_handoffs) == 1000
    assert len(whole.approved_since) > LINES_KEPT and len(whole.roster_gaps) == 300
    assert kept.totals == {
        "open_handoffs": 1000,
        "overdue_signoffs": len(whole.overdue_signoffs),
        "approved_since": len(whole.approved_since),
        "roster_gaps": 300,
        "projects_by_stage.manage": 1300,
    }
    for part in ("open_handoffs", "overdue_signoffs", "approved_since", "roster_gaps"):
        assert getattr(kept, part) == getattr(whole, part)[:LINES_KEPT], part
    assert kept.project_count == whole.project_count == 1300
    assert digest_message(kept) == digest_message(whole)
    stored = json.loads(kept.model_dump_json())  # as the outbox row stores it
    assert digest_message(stored) == digest_message(whole)
    assert len(kept.model_dump_json()) * 3 < len(whole.model_dump_json())


def test_roster_gaps_cost_no_statement_per_project(db: Database, clock: Clock) -> None:
    """Half the projects lack every lead: the same statements for 20 projects as for 2,000."""
    now = clock.now()
    with db.session() as s:
        for team, n in (("T_SMALL", 10), ("T_LARGE", 1000)):
            bulk_workspace(s, team, n, now)
            s.execute(insert(Project), [unstaffed(team, i) for i in range(n)])

    small, small_view = count_statements(db, lambda s: build_digest(s, "T_SMALL", now, policy=P))
    large, large_view = count_statements(db, lambda s: build_digest(s, "T_LARGE", now, policy=P))

    assert small == large <= 7, (small, large)
    assert [g.project_key for g in small_view.roster_gaps] == [f"q-{i:05d}" for i in range(10)]
    assert large_view.total("roster_gaps") == 1000 and large_view.project_count == 2000
    assert {tuple(g.vacant) for g in large_view.roster_gaps} == {
        (Role.DOMAIN_EXPERT, Role.ML_ARCHITECT)
    }


def unstaffed(team: str, i: int) -> dict[str, Any]:
    return {
        "team_id": team,
        "key": f"q-{i:05d}",
        "name": f"Unstaffed {i}",
        "stage": Stage.MANAGE,
        "channel_id": HOME,
        "created_by": CREATOR,
    }


def count_statements(db: Database, work: Any) -> tuple[int, Any]:
    statements: list[str] = []

    def seen(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        with db.session() as s:
            result = work(s)
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    return len(statements), result


# -- the job: one outbox row per channel -------------------------------------------------------


def test_run_queues_one_digest_per_home_channel_per_workspace(db: Database, clock: Clock) -> None:
    make_project(db, "churn")
    make_project(db, "fraud")
    make_project(db, "ranker", channel=ELSEWHERE)
    make_project(db, "churn", team=T_OTHER)
    last_sent = clock.now() - timedelta(days=1)
    with db.session() as s:
        s.add(
            DigestSchedule(
                team_id=T,
                channel_id=HOME,
                timezone="UTC",
                next_run_at=clock.now(),
                last_sent_at=last_sent,
                created_by=CREATOR,
            )
        )
    ctx = JobContext(sessions=db.factory, policy=DEFAULT_POLICY)

    assert digest_job.run(ctx, clock.now()) == 3

    with db.session() as s:
        rows = s.scalars(select(OutboxMessage).where(OutboxMessage.topic == "digest.post")).all()
        queued = {
            (r.team_id, r.channel_id): DigestView.model_validate(r.data["digest"]) for r in rows
        }
    assert set(queued) == {(T, HOME), (T, ELSEWHERE), (T_OTHER, HOME)}
    assert queued[(T, HOME)].project_count == 2 and queued[(T, HOME)].since == last_sent
    assert queued[(T_OTHER, HOME)].projects_by_stage["manage"][0].key == "churn"


# -- bulk seeding: straight inserts, so 1,000 projects take a moment, not minutes ---------------


def bulk_projects(s: Any, team: str, n: int, channel: str) -> dict[str, int]:
    rows = [
        {
            "team_id": team,
            "key": f"p-{i:05d}",
            "name": f"Project {i}",
            "stage": Stage.MANAGE,
            "channel_id": channel,
            "created_by": CREATOR,
        }
        for i in range(n)
    ]
    s.execute(insert(Project), rows)
    return dict(s.execute(select(Project.key, Project.id).where(Project.team_id == team)).all())


def handoff_row(
    team: str,
    project_id: int,
    requested_at: datetime,
    closed_at: datetime | None,
    *,
    status: HandoffStatus = HandoffStatus.APPROVED,
    stages: tuple[Stage, Stage] = (Stage.MANAGE, Stage.DEVELOP),
) -> dict[str, Any]:
    return {
        "team_id": team,
        "project_id": project_id,
        "from_stage": stages[0],
        "to_stage": stages[1],
        "status": status,
        "packet": DEVELOP_PACKET,
        "required_roles": ["domain_expert", "ml_architect"],
        "receiving_roles": ["data_scientist"],
        "requested_by": REQUESTER,
        "requested_at": requested_at,
        "due_at": requested_at + timedelta(hours=48),
        "closed_at": closed_at,
    }


def add_approved(s: Any, project_id: int, closed_at: datetime, hours: float, **kw: Any) -> None:
    """A closed hand-off that took `hours` from request to decision."""
    team = s.get(Project, project_id).team_id
    requested_at = closed_at - timedelta(hours=hours)
    s.execute(insert(Handoff), [handoff_row(team, project_id, requested_at, closed_at, **kw)])


def bulk_workspace(s: Any, team: str, n: int, now: datetime) -> None:
    """n projects with leads, an overdue open hand-off signed by one of two roles, and two
    approvals each (5h and 6h) in the last 90 days."""
    ids = list(bulk_projects(s, team, n, HOME).values())
    leads = [
        {"team_id": team, "project_id": pid, "role": role, "user_id": user, "is_lead": True}
        for pid in ids
        for role, user in LEADS.items()
    ]
    s.execute(insert(RoleAssignment), [{**row, "assigned_by": CREATOR} for row in leads])
    past = [
        handoff_row(
            team, pid, now - timedelta(days=k + 1, hours=5 + k), now - timedelta(days=k + 1)
        )
        for pid in ids
        for k in range(2)
    ]
    opened = [
        handoff_row(team, pid, now - timedelta(hours=60), None, status=HandoffStatus.PENDING)
        for pid in ids
    ]
    s.execute(insert(Handoff), past + opened)
    open_ids = s.scalars(
        select(Handoff.id).where(Handoff.team_id == team, Handoff.status == HandoffStatus.PENDING)
    ).all()
    signed = {"team_id": team, "round": 1, "role": Role.DOMAIN_EXPERT, "user_id": "U_DOM"}
    s.execute(
        insert(SignOff),
        [{**signed, "handoff_id": hid, "decision": Decision.APPROVED} for hid in open_ids],
    )


def test_monitors_show_latest_value_open_alert_breaches_and_failing_sources(db, clock) -> None:
    from models.monitor import Monitor
    from models.services import monitoring

    team, actor = "THOME", Actor("THOME", "UCREATOR")
    with db.session() as s:
        projects.create_project(s, actor, "churn", None, "CCHURN")
        roster.assign_role(s, actor, "churn", Role.DATA_SCIENTIST, "UDS", lead=True)
    since = clock.now()
    clock.advance(hours=1)
    ds = Actor(team, "UDS")
    with db.session() as s:
        monitoring.add_monitor(s, ds, "churn", "auc", "min", 0.8)
        monitoring.add_monitor(s, ds, "churn", "latency_ms", "max", 250)
    with db.session() as s:
        for value in (0.7, 0.9, 0.6):
            monitoring.record_observation(s, ds, "churn", "auc", value, "slack", clock.now())
        s.execute(
            Monitor.__table__.update()
            .where(Monitor.metric == "latency_ms")
            .values(last_error="timeout after 5 s")
        )
    with db.session() as s:
        view = build_digest(
            s, team, clock.now(), policy=DEFAULT_POLICY, channel_id="CCHURN", since=since
        )
    lines = {m.metric: m for m in view.monitors}
    assert (lines["auc"].last_value, lines["auc"].alert, lines["auc"].breaches_since) == (
        0.6,
        "open",
        2,
    )
    assert lines["latency_ms"].source_error == "timeout after 5 s"
    assert not view.nothing_new
    text = json.dumps(digest_message(view))
    assert "alert open" in text and "2 breaches since the last digest" in text
    assert "source failing: timeout after 5 s" in text


def test_every_driver_counts_new_from_the_channels_last_scheduled_digest(
    db: Database, clock: Clock
) -> None:
    make_project(db, "churn")
    with db.session() as s:
        set_schedule(s, Actor(T, CREATOR), HOME, "0 9 * * *", "UTC", clock.now() - MINUTE)
    ctx = JobContext(sessions=db.factory, policy=DEFAULT_POLICY)
    assert digests_due.run(ctx, clock.now()) == 1  # the schedule: the first one ever
    sent_at = clock.now()
    clock.advance(hours=2)

    digest_job.post_each(ctx, [DigestTarget(T, HOME)], clock.now())  # `baton digest`
    with db.session() as s:  # `/mlops digest now`, then `/mlops digest now churn`
        post_digest(s, DigestTarget(T, HOME), clock.now(), DEFAULT_POLICY)
        post_digest(s, DigestTarget(T, HOME, "churn"), clock.now(), DEFAULT_POLICY)

    with db.session() as s:
        rows = s.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.topic == "digest.post")
            .order_by(OutboxMessage.id)
        ).all()
        views = [DigestView.model_validate(r.data["digest"]) for r in rows]
    assert [(v.since, v.scheduled, v.project_key) for v in views] == [
        (None, True, None),
        (sent_at, False, None),
        (sent_at, False, None),
        (None, False, "churn"),  # one project's digest, posted anywhere: no channel's "since"
    ]
