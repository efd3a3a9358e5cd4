"""`/mlops` text -> typed command or a UsageError a user can act on."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from apscheduler.triggers.cron import CronTrigger
from hypothesis import given, settings
from hypothesis import strategies as st

from handlers import parsing as p
from handlers.commands_spec import VERBS
from models.enums import Role, Stage

ALICE = "<@U0ALICE|alice>"

HAPPY: list[tuple[str, p.Command]] = [
    ("", p.Help()),
    ("   ", p.Help()),
    ("help", p.Help()),
    ("HELP", p.Help()),
    ("help project", p.Help("project")),
    ("help Role  Assign", p.Help("role assign")),
    ('help "digest schedule"', p.Help("digest schedule")),
    ("help handoffs", p.Help("handoffs")),
    ("project create", p.ProjectCreate()),
    ("project create churn-model", p.ProjectCreate("churn-model")),
    ("project create churn-model Churn model v2", p.ProjectCreate("churn-model", "Churn model v2")),
    ('project create churn "Churn   model"', p.ProjectCreate("churn", "Churn model")),
    ("project create churn R&amp;D &lt;beta&gt;", p.ProjectCreate("churn", "R&D <beta>")),
    ("project create churn &amp;lt;", p.ProjectCreate("churn", "&lt;")),
    ('project create churn Bob\'s "best" model', p.ProjectCreate("churn", 'Bob\'s "best" model')),
    ("project create churn " + "x" * 80, p.ProjectCreate("churn", "x" * 80)),
    ("Project Create ab", p.ProjectCreate("ab")),
    ("project create " + "a" * 40, p.ProjectCreate("a" * 40)),
    ("project create 9-lives", p.ProjectCreate("9-lives")),
    ("project list", p.ProjectList()),
    ("project archive churn", p.ProjectArchive("churn")),
    ("project link-model churn churn-xgb", p.ProjectLinkModel("churn", "churn-xgb")),
    ('project link-model churn "Churn XGB"', p.ProjectLinkModel("churn", "Churn XGB")),
    ("project link-model churn Churn XGB v2 ", p.ProjectLinkModel("churn", "Churn XGB v2")),
    ("Project Link-Model churn R&amp;D", p.ProjectLinkModel("churn", "R&D")),
    ("project link-model churn " + "m" * 200, p.ProjectLinkModel("churn", "m" * 200)),
    ("status churn-model", p.Status("churn-model")),
    ("  status\tchurn-model  ", p.Status("churn-model")),
    (f"role assign churn ds {ALICE}", p.RoleAssign("churn", Role.DATA_SCIENTIST, "U0ALICE")),
    ("role assign churn de <@U123> lead", p.RoleAssign("churn", Role.DATA_ENGINEER, "U123", True)),
    (
        "role assign churn ops <@W42ABC> LEAD",
        p.RoleAssign("churn", Role.DEVOPS_ENGINEER, "W42ABC", True),
    ),
    ("role assign churn ml-architect <@U01|a b>", p.RoleAssign("churn", Role.ML_ARCHITECT, "U01")),
    (
        'role assign churn "data scientist" <@U01>',
        p.RoleAssign("churn", Role.DATA_SCIENTIST, "U01"),
    ),
    ("role assign churn Legal <@U01>", p.RoleAssign("churn", Role.COMPLIANCE, "U01")),
    (f"role remove churn analyst {ALICE}", p.RoleRemove("churn", Role.DATA_ANALYST, "U0ALICE")),
    ("roles churn", p.Roles("churn")),
    ("overseer churn <@U0GRACE|grace>", p.Overseer("churn", "U0GRACE")),
    ("overseer churn None", p.Overseer("churn", None)),
    ("handoff churn", p.HandoffOpen("churn")),
    ("handoff churn deploy", p.HandoffOpen("churn", Stage.DEPLOY)),
    ("handoff churn Monitor", p.HandoffOpen("churn", Stage.MONITOR)),
    ("handoff churn manage", p.HandoffOpen("churn", Stage.MANAGE)),
    ("handoff churn develop", p.HandoffOpen("churn", Stage.DEVELOP)),
    ("handoff cancel churn", p.HandoffCancel("churn")),
    ("handoffs", p.Handoffs()),
    ("handoffs churn", p.Handoffs("churn")),
    ("signoffs", p.Signoffs()),
    ("away until 2026-12-20", p.Away(date(2026, 12, 20))),
    (
        "away until 2026-12-20 delegate <@USAM|sam> on holiday",
        p.Away(date(2026, 12, 20), "USAM", "on holiday"),
    ),
    ("back", p.Back()),
    ("history churn", p.History("churn", 20)),
    ("history churn 1", p.History("churn", 1)),
    ("history churn 200", p.History("churn", 200)),
    ("history churn 007", p.History("churn", 7)),
    ("lineage churn", p.Lineage("churn")),
    ("monitor add churn auc min 0.85", p.MonitorAdd("churn", "auc", "min", 0.85)),
    (
        "monitor add churn p95_latency.ms MAX 250",
        p.MonitorAdd("churn", "p95_latency.ms", "max", 250.0),
    ),
    ("monitor add churn drift:psi max 1e-1", p.MonitorAdd("churn", "drift:psi", "max", 0.1)),
    ("monitor add churn _loss max -.5", p.MonitorAdd("churn", "_loss", "max", -0.5)),
    (
        "monitor add churn auc min 0.8 owner de",
        p.MonitorAdd("churn", "auc", "min", 0.8, owner=Role.DATA_ENGINEER),
    ),
    (
        "monitor add churn auc min 0.8 prometheus <http://prom:9090> \"avg(auc{model='churn'})\"",
        p.MonitorAdd(
            "churn",
            "auc",
            "min",
            0.8,
            None,
            "prometheus",
            "http://prom:9090",
            "avg(auc{model='churn'})",
        ),
    ),
    (
        "monitor add churn auc min 0.8 json <https://m.example/s.json|m.example/s.json> "
        "data.auc every 60 owner analyst",
        p.MonitorAdd(
            "churn",
            "auc",
            "min",
            0.8,
            Role.DATA_ANALYST,
            "json",
            "https://m.example/s.json",
            "data.auc",
            60,
        ),
    ),
    (  # Slack escapes & inside its link markup (and out): the URL is the one typed
        "monitor add churn auc min 0.8 json "
        "<https://m.example/q?a=1&amp;b=2|m.example/q?a=1&amp;b=2> data.auc",
        p.MonitorAdd(
            "churn", "auc", "min", 0.8, None, "json", "https://m.example/q?a=1&b=2", "data.auc"
        ),
    ),
    (
        "monitor add churn auc min 0.8 json https://m.example/q?a=1&amp;b=2 data.auc",
        p.MonitorAdd(
            "churn", "auc", "min", 0.8, None, "json", "https://m.example/q?a=1&b=2", "data.auc"
        ),
    ),
    ("monitor list churn", p.MonitorList("churn")),
    ("monitor remove churn auc", p.MonitorRemove("churn", "auc")),
    ("metric churn auc 0.91", p.Metric("churn", "auc", 0.91)),
    ("metric churn auc +3", p.Metric("churn", "auc", 3.0)),
    ("metric churn a" + "b" * 63 + " 1", p.Metric("churn", "a" + "b" * 63, 1.0)),
    ("digest now", p.DigestNow()),
    ("digest now churn", p.DigestNow("churn")),
    (
        'digest schedule "0 9 * * 1-5" Europe/Berlin',
        p.DigestSchedule("0 9 * * mon-fri", "Europe/Berlin"),
    ),
    (
        "digest schedule “0 9 * * 1-5” Europe/Berlin",
        p.DigestSchedule("0 9 * * mon-fri", "Europe/Berlin"),
    ),
    ("digest schedule ”0 9 * * 1-5” UTC", p.DigestSchedule("0 9 * * mon-fri", "UTC")),
    ('digest schedule “0 9 * * 1-5" utc', p.DigestSchedule("0 9 * * mon-fri", "UTC")),
    ('digest schedule "30 8 * * *"', p.DigestSchedule("30 8 * * *")),
    (
        "digest schedule 0 9 * * 1-5 europe/berlin",
        p.DigestSchedule("0 9 * * mon-fri", "Europe/Berlin"),
    ),
    ('digest schedule "0 9 1 jan mon"', p.DigestSchedule("0 9 1 jan mon")),
]


@pytest.mark.parametrize(("text", "expected"), HAPPY, ids=[t or "<empty>" for t, _ in HAPPY])
def test_parses_every_subcommand(text: str, expected: p.Command) -> None:
    assert p.parse(text) == expected


def test_happy_table_covers_every_command_type() -> None:
    assert {type(c) for _, c in HAPPY} == set(p.Command.__args__)


# (text, the exact reason, the USAGE key whose line comes with it)
ERRORS: list[tuple[str, str, str]] = [
    (
        "project create Churn_Model",
        "'Churn_Model' is not a valid project key: use 2–40 lower-case letters, digits and '-' (did you mean 'churn-model'?)",
        "project create",
    ),
    (
        "status x",
        "'x' is not a valid project key: use 2–40 lower-case letters, digits and '-'",
        "status",
    ),
    (
        "status -churn",
        "'-churn' is not a valid project key: use 2–40 lower-case letters, digits and '-'",
        "status",
    ),
    (
        "roles " + "a" * 41,
        f"'{'a' * 41}' is not a valid project key: use 2–40 lower-case letters, digits and '-'",
        "roles",
    ),
    ("status", "missing the project key", "status"),
    ("status churn now", "unexpected extra arguments: now", "status"),
    ("project list all", "unexpected extra arguments: all", "project list"),
    ('signoffs mine "for real"', 'unexpected extra arguments: mine "for real"', "signoffs"),
    ("lineage", "missing the project key", "lineage"),
    ("overseer churn", "missing @user or none", "overseer"),
    (
        "overseer churn grace",
        "'grace' is not a user: type @ and pick them from the list Slack shows",
        "overseer",
    ),
    ("overseer churn none <@U01>", "unexpected extra arguments: @U01", "overseer"),
    (
        "overseer churn <!here>",
        "'@here' is not a user: type @ and pick them from the list Slack shows",
        "overseer",
    ),
    (
        "role assign churn ds <!subteam^S0123|@ml-team>",
        "'@ml-team' is not a user: type @ and pick them from the list Slack shows",
        "role assign",
    ),
    (
        "status #some-channel",
        "'#some-channel' is not the home channel of any project: give the project key",
        "status",
    ),
    (
        "handoffs <#C0123|ml>",
        "'#ml' is not the home channel of any project: give the project key",
        "handoffs",
    ),
    ("handoff cancel", "missing the project key", "handoff cancel"),
    ("handoffs churn extra", "unexpected extra arguments: extra", "handoffs"),
    (
        "digest now Churn",
        "'Churn' is not a valid project key: use 2–40 lower-case letters, digits and '-' (did you mean 'churn'?)",
        "digest now",
    ),
    (
        "role assign churn ds @alice",
        "'@alice' is plain text, not a mention: pick the user from the list Slack shows",
        "role assign",
    ),
    (
        "role remove churn ds alice",
        "'alice' is not a user: type @ and pick them from the list Slack shows",
        "role remove",
    ),
    (
        "role assign churn ds &lt;@U123&gt;",
        "'&lt;@U123&gt;' is not a user: type @ and pick them from the list Slack shows",
        "role assign",
    ),
    (
        "role assign churn ds <@C123|general>",
        "'<@C123|general>' is not a user: type @ and pick them from the list Slack shows",
        "role assign",
    ),
    (
        "role assign churn ds <@u123>",
        "'<@u123>' is not a user: type @ and pick them from the list Slack shows",
        "role assign",
    ),
    ("role assign churn ds", "missing the user", "role assign"),
    ("role assign churn", "missing the role", "role assign"),
    (
        f"role assign churn wizard {ALICE}",
        "unknown role 'wizard'; choose one of: " + ", ".join(r.value for r in Role),
        "role assign",
    ),
    (
        f"role assign churn ds {ALICE} boss",
        "expected 'lead' or nothing after the user, not 'boss'",
        "role assign",
    ),
    (f"role assign churn ds {ALICE} lead now", "unexpected extra arguments: now", "role assign"),
    (f"role remove churn ds {ALICE} lead", "unexpected extra arguments: lead", "role remove"),
    (
        "handoff churn archived",
        "'archived' is not a stage to hand off to; choose one of: manage, develop, deploy, monitor",
        "handoff",
    ),
    (
        "handoff churn production",
        "'production' is not a stage to hand off to; choose one of: manage, develop, deploy, monitor",
        "handoff",
    ),
    ("history churn 0", "history shows 1 to 200 events, not 0", "history"),
    ("history churn 201", "history shows 1 to 200 events, not 201", "history"),
    ("history churn " + "9" * 5000, f"history shows 1 to 200 events, not {'9' * 5000}", "history"),
    ("history churn ten", "'ten' is not a whole number of events", "history"),
    ("history churn -5", "'-5' is not a whole number of events", "history"),
    ("history churn ²", "'²' is not a whole number of events", "history"),
    ("monitor add churn auc min nan", "the threshold 'nan' is not a number", "monitor add"),
    (
        "monitor add churn auc min 0.8 loudly",
        "'loudly' is not an option of monitor add: use owner, prometheus, json or every",
        "monitor add",
    ),
    ("monitor add churn auc min 0.8 owner", "missing the owner's role", "monitor add"),
    ("monitor add churn auc min 0.8 owner de owner ds", "'owner' is given twice", "monitor add"),
    (
        "monitor add churn auc min 0.8 json file:///etc/passwd a.b",
        "'file:///etc/passwd' is not an http:// or https:// URL",
        "monitor add",
    ),
    (  # the source URL's form is the rule of models/sources.py; where it points, the service's
        "monitor add churn auc min 0.8 json http://2852039166/ a.b",
        "'2852039166' is not an IPv4 address written as four decimal numbers (a.b.c.d without "
        "leading zeros)",
        "monitor add",
    ),
    (
        "monitor add churn auc min 0.8 json <http://0251.0376.0251.0376/> a.b",
        "'0251.0376.0251.0376' is not an IPv4 address written as four decimal numbers (a.b.c.d "
        "without leading zeros)",
        "monitor add",
    ),
    (
        "monitor add churn auc min 0.8 json http://127.0.0.1:1@169.254.169.254/ a.b",
        "the source URL must not hold a user name or password (user@host)",
        "monitor add",
    ),
    (
        "monitor add churn auc min 0.8 json https://m.example/" + "a" * 1990 + " a.b",
        "the URL is 2,008 characters long; the limit is 2,000",
        "monitor add",
    ),
    (
        "monitor add churn auc min 0.8 prometheus http://[::1 up",
        "the source URL is malformed",
        "monitor add",
    ),
    (
        "monitor add churn auc min 0.8 json http://a.b/x a json http://c.d/y b",
        "'json' is given twice",
        "monitor add",
    ),
    (
        "monitor add churn auc min 0.8 every 60",
        "'every' needs a source to poll (prometheus <url> \"<query>\" or json <url> <path>)",
        "monitor add",
    ),
    (
        "monitor add churn auc min 0.8 json http://a.b/x a every 5",
        "the interval '5' must be a whole number of seconds from 30 to 86400",
        "monitor add",
    ),
    ("monitor add churn auc min inf", "the threshold 'inf' is not a number", "monitor add"),
    (
        "monitor add churn auc min -Infinity",
        "the threshold '-Infinity' is not a number",
        "monitor add",
    ),
    ("monitor add churn auc min 1_000", "the threshold '1_000' is not a number", "monitor add"),
    ("monitor add churn auc max 1e999", "the threshold '1e999' is too large", "monitor add"),
    (
        "monitor add churn auc min 0,85",
        "'0,85' is not a number: write decimals with a dot, e.g. 0.85",
        "monitor add",
    ),
    (
        "monitor add churn auc above 0.8",
        "'above' is not a direction: use min (alert below) or max (alert above)",
        "monitor add",
    ),
    ("monitor add churn auc min", "missing the threshold", "monitor add"),
    ("monitor add churn auc", "missing the direction (min or max)", "monitor add"),
    ("monitor add churn", "missing the metric name", "monitor add"),
    (
        "monitor add churn auc min 1 2",
        "'2' is not an option of monitor add: use owner, prometheus, json or every",
        "monitor add",
    ),
    (
        "monitor add churn 9lives min 1",
        "'9lives' is not a valid metric name: start with a letter or '_', then up to 63 letters, digits, '_', '.', ':' or '-'",
        "monitor add",
    ),
    (
        "monitor remove churn a" + "b" * 64,
        f"'a{'b' * 64}' is not a valid metric name: start with a letter or '_', then up to 63 letters, digits, '_', '.', ':' or '-'",
        "monitor remove",
    ),
    ("metric churn auc", "missing the value", "metric"),
    ("metric churn auc NaN", "the value 'NaN' is not a number", "metric"),
    ("metric churn auc 0x10", "the value '0x10' is not a number", "metric"),
    ("metric churn auc ١", "the value '١' is not a number", "metric"),
    (
        "project create churn " + "x" * 81,
        "the display name is 81 characters long; the limit is 80",
        "project create",
    ),
    ('project create churn "Churn', "the quote before 'Churn' is never closed", "project create"),
    (
        'digest schedule "0 9 * * 1-5',
        "the quote before '0 9 * * 1-5' is never closed",
        "digest schedule",
    ),
    ('foo "bar', "the quote before 'bar' is never closed", "help"),
    ("digest schedule", 'missing the schedule, e.g. "0 9 * * 1-5"', "digest schedule"),
    (
        'digest schedule "0 9 * *"',
        "a cron schedule has 5 fields (minute hour day month weekday), not '0 9 * *'",
        "digest schedule",
    ),
    (
        'digest schedule "0 9 * * * *"',
        "a cron schedule has 5 fields (minute hour day month weekday), not '0 9 * * * *'",
        "digest schedule",
    ),
    (
        "digest schedule @daily",
        "a cron schedule has 5 fields (minute hour day month weekday), not '@daily'",
        "digest schedule",
    ),
    (
        'digest schedule "61 9 * * *"',
        "'61 9 * * *' is not a valid cron schedule: Error validating expression '61': the last value (61) is higher than the maximum value (59)",
        "digest schedule",
    ),
    (
        'digest schedule "0 9 * * 8"',
        "'8' is not a day of the week (0–7 or sun–sat)",
        "digest schedule",
    ),
    (
        'digest schedule "0 9 * * 5-1"',
        "'5-1' is not a valid range of weekdays",
        "digest schedule",
    ),
    (
        'digest schedule "0 9 * * */0"',
        "'*/0' is not a valid range of weekdays",
        "digest schedule",
    ),
    (
        'digest schedule "0 9 * * 1-5" Mars/Olympus',
        "'Mars/Olympus' is not a time zone: use an IANA name, e.g. Europe/Berlin or UTC",
        "digest schedule",
    ),
    (
        'digest schedule "0 9 * * 1-5" Europe/Berln',
        "'Europe/Berln' is not a time zone: use an IANA name; did you mean 'Europe/Berlin'?",
        "digest schedule",
    ),
    (
        'digest schedule "0 9 * * 1-5" ../../etc/passwd',
        "'../../etc/passwd' is not a time zone: use an IANA name, e.g. Europe/Berlin or UTC",
        "digest schedule",
    ),
    (
        'digest schedule "0 9 * * 1-5" UTC now',
        "unexpected extra arguments: now",
        "digest schedule",
    ),
    (
        "project link-model churn",
        "missing the MLflow registered model name",
        "project link-model",
    ),
    (
        'project link-model churn ""',
        "missing the MLflow registered model name",
        "project link-model",
    ),
    (
        "project link-model churn " + "m" * 201,
        "the model name is 201 characters long; the limit is 200",
        "project link-model",
    ),
    (
        "project link-model Churn churn-xgb",
        "'Churn' is not a valid project key: use 2–40 lower-case letters, digits and '-' (did you mean 'churn'?)",
        "project link-model",
    ),
    ("help wizardry", "there is no help on 'wizardry'", "help"),
    ("help projects", "there is no help on 'projects'; did you mean 'project'?", "help"),
]


@pytest.mark.parametrize(("text", "reason", "usage_of"), ERRORS, ids=[t[:60] for t, _, _ in ERRORS])
def test_bad_arguments_give_the_reason_and_the_usage_line(
    text: str, reason: str, usage_of: str
) -> None:
    with pytest.raises(p.UsageError) as caught:
        p.parse(text)
    assert caught.value.reason == reason
    assert caught.value.usage == p.usage_for(usage_of)
    assert str(caught.value) == reason


@pytest.mark.parametrize(
    ("text", "reason", "meant"),
    [
        ("deploy churn", "'deploy' is not a /mlops command", ["help"]),
        (
            "projects",
            "'projects' is not a /mlops command; did you mean 'project'?",
            [f"project {v}" for v in VERBS["project"]],
        ),
        (
            "hand-off churn",
            "'hand-off' is not a /mlops command; did you mean 'handoff'?",
            ["handoff"],
        ),
        (
            "sign-offs",
            "'sign-offs' is not a /mlops command; did you mean 'signoffs'?",
            ["signoffs"],
        ),
        ("Statuss churn", "'statuss' is not a /mlops command; did you mean 'status'?", ["status"]),
        (
            "assign churn ds <@U01>",
            "'assign' is not a /mlops command; did you mean 'role assign'?",
            ["role assign"],
        ),
        (
            "remove churn auc",
            "'remove' is not a /mlops command; did you mean 'role remove' or 'monitor remove'?",
            ["help"],
        ),
        ('"" churn', "'' is not a /mlops command", ["help"]),
    ],
)
def test_unknown_subcommand_is_named_with_a_suggestion(
    text: str, reason: str, meant: list[str]
) -> None:
    """The usage shown is the meant command's own (issue 11), help's when nothing is meant."""
    with pytest.raises(p.UsageError) as caught:
        p.parse(text)
    assert caught.value.reason == reason
    assert caught.value.usage == "\n".join(p.usage_for(m) for m in meant)


@pytest.mark.parametrize(
    ("text", "reason", "verbs"),
    [
        (
            "project",
            "'/mlops project' needs one of: create, list, archive, link-model",
            ("create", "list", "archive", "link-model"),
        ),
        ("role", "'/mlops role' needs one of: assign, remove", ("assign", "remove")),
        ("monitor", "'/mlops monitor' needs one of: add, list, remove", ("add", "list", "remove")),
        ("digest", "'/mlops digest' needs one of: now, schedule", ("now", "schedule")),
        (
            "project delete churn",
            "'project delete' is not a /mlops command",
            ("create", "list", "archive", "link-model"),
        ),
        (
            "project crate churn",
            "'project crate' is not a /mlops command; did you mean 'project create'?",
            ("create", "list", "archive", "link-model"),
        ),
        (
            "digest schedul 0",
            "'digest schedul' is not a /mlops command; did you mean 'digest schedule'?",
            ("now", "schedule"),
        ),
    ],
)
def test_a_group_without_a_known_verb_lists_its_subcommands(
    text: str, reason: str, verbs: tuple[str, ...]
) -> None:
    head = text.split()[0]
    with pytest.raises(p.UsageError) as caught:
        p.parse(text)
    assert caught.value.reason == reason
    assert caught.value.usage.splitlines() == [p.usage_for(f"{head} {v}") for v in verbs]


def test_both_mention_forms_give_the_user_id() -> None:
    with_name = p.parse("role assign churn ds <@U024BE7LH|bob>")
    without_name = p.parse("role assign churn ds <@U024BE7LH>")
    assert with_name == without_name == p.RoleAssign("churn", Role.DATA_SCIENTIST, "U024BE7LH")


@pytest.mark.parametrize(
    ("alias", "role"),
    [
        ("ds", Role.DATA_SCIENTIST),
        ("DS", Role.DATA_SCIENTIST),
        ("da", Role.DATA_ANALYST),
        ("de", Role.DATA_ENGINEER),
        ("devops", Role.DEVOPS_ENGINEER),
        ("ops", Role.DEVOPS_ENGINEER),
        ("mla", Role.ML_ARCHITECT),
        ("swe", Role.SOFTWARE_DEVELOPER),
        ("biz", Role.DOMAIN_EXPERT),
        ("manager", Role.BUSINESS_MANAGER),
        ("legal", Role.COMPLIANCE),
        ("data-engineer", Role.DATA_ENGINEER),
        ("software_developer", Role.SOFTWARE_DEVELOPER),
    ],
)
def test_role_aliases(alias: str, role: Role) -> None:
    assert p.parse(f"role remove churn {alias} <@U01>") == p.RoleRemove("churn", role, "U01")


@pytest.mark.parametrize(
    ("weekdays", "normalised"),
    [
        ("1-5", "mon-fri"),
        ("mon-fri", "mon-fri"),
        ("MON-FRI", "mon-fri"),
        ("0", "sun"),
        ("7", "sun"),
        ("0,6", "sat,sun"),
        ("5-7", "fri,sat,sun"),
        ("0-3", "mon-wed,sun"),
        ("0-6", "*"),
        ("0-7", "*"),
        ("*", "*"),
        ("*/2", "tue,thu,sat,sun"),
        ("1-5/2", "mon,wed,fri"),
        ("1,3,4,5", "mon,wed-fri"),
        ("sun-tue", "mon,tue,sun"),
    ],
)
def test_crontab_weekdays_become_names(weekdays: str, normalised: str) -> None:
    command = p.parse(f'digest schedule "0 9 * * {weekdays}"')
    assert command == p.DigestSchedule(f"0 9 * * {normalised}")


def test_normalised_schedule_fires_on_the_crontab_weekdays_under_apscheduler() -> None:
    # APScheduler 3 reads weekday numbers with 0 = Monday; "1-5" must still mean Mon–Fri.
    command = p.parse('digest schedule "0 9 * * 1-5" UTC')
    assert isinstance(command, p.DigestSchedule)
    trigger = CronTrigger.from_crontab(command.cron, timezone="UTC")
    saturday = datetime(2024, 6, 1, 10, tzinfo=UTC)
    fire = trigger.get_next_fire_time(None, saturday)
    assert fire == datetime(2024, 6, 3, 9, tzinfo=UTC)  # the Monday after
    assert trigger.get_next_fire_time(None, datetime(2024, 6, 7, 10, tzinfo=UTC)) == fire.replace(
        day=10
    )


def test_usage_lines_follow_the_configured_command_name() -> None:
    with pytest.raises(p.UsageError) as caught:
        p.parse("status", command="/baton")
    assert caught.value.usage == "/baton status <key>"
    with pytest.raises(p.UsageError) as unknown:
        p.parse("stats churn", command="/baton")
    assert unknown.value.reason == "'stats' is not a /baton command; did you mean 'status'?"
    assert unknown.value.usage == "/baton status <key>"  # the meant command's own syntax


def test_every_usage_line_has_a_parser_and_a_help_line() -> None:
    assert p.PARSERS.keys() == p.USAGE.keys()
    assert [usage for usage, _ in p.HELP] == list(p.USAGE.values())
    assert all(usage.startswith("{cmd} ") and description for usage, description in p.HELP)
    assert set(VERBS) == {"project", "role", "handoff", "monitor", "digest"}


def test_help_entries_are_rendered_and_filtered_by_topic() -> None:
    everything = p.help_entries("/baton")
    assert len(everything) == len(p.HELP)
    assert all(usage.startswith("/baton ") and "{cmd}" not in usage for usage, _ in everything)
    assert [u for u, _ in p.help_entries("/mlops", "role")] == [
        "/mlops role assign <key> <role> @user [lead]",
        "/mlops role remove <key> <role> @user",
    ]
    assert [u for u, _ in p.help_entries(topic="handoff")] == [
        "/mlops handoff <key> [to-stage]",
        "/mlops handoff cancel <key>",
    ]
    assert [u for u, _ in p.help_entries(topic="monitor add")] == [
        "/mlops monitor add <key> <metric> <min|max> <threshold> [owner <role>] "
        '[prometheus <url> "<query>" | json <url> <field.path>] [every <seconds>]'
    ]


@pytest.mark.parametrize("topic", sorted(set(p.USAGE) | set(VERBS)))
def test_every_help_topic_parses_and_has_entries(topic: str) -> None:
    assert p.parse(f"help {topic}") == p.Help(topic)
    assert p.help_entries(topic=topic)


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ('a "b c" d', ["a", "b c", "d"]),
        ("a “b c” d", ["a", "b c", "d"]),
        ('x"y z"w', ["xy zw"]),
        ('""', [""]),
        ("<@U01|Ann Lee> lead", ["<@U01|Ann Lee>", "lead"]),
        ("a <b", ["a", "<b"]),
        ("tab\tand\nnewline\u00a0nbsp", ["tab", "and", "newline", "nbsp"]),
    ],
)
def test_tokenize_honours_quotes_and_slack_escapes(text: str, values: list[str]) -> None:
    assert [t.value for t in p.tokenize(text)] == values


KEYS = st.from_regex(r"[a-z0-9][a-z0-9-]{1,39}", fullmatch=True)
MENTIONS = st.from_regex(r"<@[UW][A-Z0-9]{1,10}(\|[a-z .]{0,10})?>", fullmatch=True)
CRON_FIELDS = [
    "*",
    "*/2",
    "1-5",
    "0",
    "7",
    "61",
    "mon-fri",
    "sun-tue",
    "5-1",
    "L",
    "1,3",
    "jan",
    "*/0",
]
CRONS = st.lists(st.sampled_from(CRON_FIELDS), max_size=6).map(lambda f: '"' + " ".join(f) + '"')
ARGUMENTS = st.one_of(
    KEYS,
    MENTIONS,
    CRONS,
    st.sampled_from([*(r.value for r in Role), "ds", "ops", "lead", "min", "max", "deploy"]),
    st.sampled_from(["archived", "Europe/Berlin", "utc", "Mars/Base", "@alice", "1e999", "nan"]),
    st.floats().map(repr),
    st.integers(-5, 300).map(str),
    st.from_regex(r"[A-Za-z_][A-Za-z0-9_.:-]{0,70}", fullmatch=True),
    st.text(max_size=12),
)
# Well-formed commands with arguments of every kind, so the argument checks get exercised.
STRUCTURED = st.builds(
    lambda name, args: " ".join([name, *args]),
    st.sampled_from(list(p.USAGE)),
    st.lists(ARGUMENTS, max_size=6),
)
# Fragments glued with spaces, nothing or stray quotes in between.
GLUED = st.lists(
    st.tuples(st.sampled_from([" ", "", "\t", '"', "“", "<", "&lt;"]), st.one_of(ARGUMENTS, CRONS)),
    max_size=8,
).map(lambda pairs: "".join(sep + part for sep, part in pairs))


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(), STRUCTURED, GLUED))
def test_any_text_parses_to_a_command_or_a_usage_error(text: str) -> None:
    try:
        command = p.parse(text)
    except p.UsageError as e:
        assert e.reason and e.usage and "{cmd}" not in e.usage
    else:
        assert isinstance(command, p.Command.__args__)


@settings(deadline=None)
@given(KEYS)
def test_every_valid_key_is_accepted_as_it_is(key: str) -> None:
    assert p.parse(f"lineage {key}") == p.Lineage(key)


CRON_FIELD = st.one_of(
    st.sampled_from(CRON_FIELDS), st.from_regex(r"[0-9a-z*/,-]{1,6}", fullmatch=True)
)


@settings(max_examples=300, deadline=None)
@given(st.lists(CRON_FIELD, min_size=5, max_size=5))
def test_any_five_fields_give_a_schedule_apscheduler_accepts_or_a_usage_error(
    fields: list[str],
) -> None:
    try:
        command = p.parse(f'digest schedule "{" ".join(fields)}"')
    except p.UsageError as e:
        assert e.usage == p.usage_for("digest schedule")
    else:
        assert isinstance(command, p.DigestSchedule)
        CronTrigger.from_crontab(command.cron, timezone="UTC")
