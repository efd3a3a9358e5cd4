"""The hand-off policy: the built-in default is SPEC's table; a YAML file may replace it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from models.enums import Role, Stage
from models.errors import DomainError
from models.policy import DEFAULT_POLICY, PolicyError, load_policy, parse_policy
from models.policy_versions import rules_of, transition_snapshot
from models.services import handoffs
from tests.models.conftest import KEY, LEADS, packet_for

D, R = Stage, Role
# SPEC §1, typed out again so a drifting default fails here.
SPEC_TABLE = [
    (D.MANAGE, D.DEVELOP, [R.DOMAIN_EXPERT, R.ML_ARCHITECT], [], [R.DATA_SCIENTIST, R.DATA_ENGINEER],
     ["objective", "success_metric", "data_sources", "target_date"], 48),
    (D.DEVELOP, D.DEPLOY, [R.DATA_SCIENTIST, R.DOMAIN_EXPERT], [R.COMPLIANCE],
     [R.SOFTWARE_DEVELOPER, R.DEVOPS_ENGINEER],
     ["model_name", "model_version", "training_data", "data_source", "evaluation", "limitations"], 24),
    (D.DEPLOY, D.MONITOR, [R.SOFTWARE_DEVELOPER, R.DEVOPS_ENGINEER, R.ML_ARCHITECT], [],
     [R.DATA_SCIENTIST, R.DATA_ENGINEER], ["endpoint", "deployed_version", "dashboard_url", "runbook"], 24),
    (D.MONITOR, D.DEVELOP, [R.DATA_SCIENTIST], [], [R.DATA_SCIENTIST, R.DATA_ENGINEER],
     ["issue", "affected_metrics", "suspected_cause"], 8),
]  # fmt: skip

POLICY = """\
# Baton policy for the churn team
transitions:
  - from: manage
    to: develop
    signoff: [domain, architect]
    receivers: [ds, de]
    fields:
      - key: objective
        label: Objective
    sla_hours: 12
"""


def test_the_default_policy_is_the_spec_table():
    actual = [
        (
            t.from_stage,
            t.to_stage,
            list(t.signoff),
            list(t.signoff_if_assigned),
            list(t.receivers),
            [f.key for f in t.fields],
            t.sla_hours,
        )
        for t in DEFAULT_POLICY.transitions
    ]

    assert actual == SPEC_TABLE


def test_the_default_policy_knows_where_each_stage_can_go():
    assert {s: DEFAULT_POLICY.targets_from(s) for s in Stage} == {
        Stage.MANAGE: [Stage.DEVELOP],
        Stage.DEVELOP: [Stage.DEPLOY],
        Stage.DEPLOY: [Stage.MONITOR],
        Stage.MONITOR: [Stage.DEVELOP],
        Stage.ARCHIVED: [],
    }
    assert DEFAULT_POLICY.transition(Stage.MANAGE, Stage.DEPLOY) is None
    training = DEFAULT_POLICY.transition(Stage.DEVELOP).field("training_data")
    assert training is not None and training.format == "name@version"


def test_a_yaml_file_replaces_the_default(tmp_path):
    path = tmp_path / "policy.yml"
    path.write_text(POLICY, encoding="utf-8")

    policy = load_policy(path)

    (only,) = policy.transitions
    assert (only.from_stage, only.to_stage, only.sla_hours) == (Stage.MANAGE, Stage.DEVELOP, 12)
    assert only.signoff == (Role.DOMAIN_EXPERT, Role.ML_ARCHITECT)
    assert only.receivers == (Role.DATA_SCIENTIST, Role.DATA_ENGINEER)
    assert [(f.key, f.label) for f in only.fields] == [("objective", "Objective")]
    assert policy.targets_from(Stage.DEVELOP) == []


ALIASES = {
    Role.DATA_SCIENTIST: ["data_scientist", "ds", "scientist", "data-scientist", "DS"],
    Role.DATA_ANALYST: ["data_analyst", "da", "analyst"],
    Role.DATA_ENGINEER: ["data_engineer", "de"],
    Role.DEVOPS_ENGINEER: ["devops_engineer", "devops", "ops"],
    Role.ML_ARCHITECT: ["ml_architect", "architect", "mla"],
    Role.SOFTWARE_DEVELOPER: ["software_developer", "dev", "swe"],
    Role.DOMAIN_EXPERT: ["domain_expert", "domain", "biz", "translator"],
    Role.BUSINESS_MANAGER: ["business_manager", "manager"],
    Role.COMPLIANCE: ["compliance", "legal", " Legal "],
}


@pytest.mark.parametrize(
    ("word", "role"), [(w, r) for r, words in ALIASES.items() for w in words], ids=str
)
def test_roles_are_named_by_key_or_alias(word, role):
    policy = parse_policy(POLICY.replace("signoff: [domain, architect]", f"signoff: [{word!r}]"))

    assert policy.transitions[0].signoff == (role,)
    assert Role.parse(word) == role


def test_a_policy_steers_the_services(db, seeded, clock):
    seeded.policy = parse_policy(POLICY.replace("[domain, architect]", "[ds]"))

    view = seeded.request(packet={"objective": "Predict churn"})

    assert [line.lead for line in view.checklist] == [LEADS[Role.DATA_SCIENTIST]]
    assert view.due_at == clock.now() + timedelta(hours=12)
    assert seeded.decide(LEADS[Role.DATA_SCIENTIST], view.id).advanced
    with pytest.raises(DomainError, match="can go to: nowhere"), db.session() as s:
        handoffs.request_handoff(
            s, seeded.actor("U_DS"), KEY, None, packet_for(D.DEVELOP, D.DEPLOY), seeded.policy
        )


EXTRA_TRANSITION = """\
  - from: develop
    to: deploy
    signoff: [ds]
    receivers: [dev]
    fields: [{key: model_name, label: Model name}]
    sla_hours: 24
"""

BAD_FILES = {
    "unknown role": (POLICY.replace("architect]", "wizard]"), 5, "unknown role 'wizard'"),
    "bad stage": (POLICY.replace("to: develop", "to: production"), 4, "transitions.0.to"),
    "negative SLA": (POLICY.replace("sla_hours: 12", "sla_hours: -1"), 10, "greater than 0"),
    "extra key in a transition": (POLICY + "    colour: blue\n", 11, "colour: Extra inputs"),
    "extra key at the top": (POLICY + "version: 2\n", 11, "version: Extra inputs"),
    "missing receivers": (POLICY.replace("    receivers: [ds, de]\n", ""), 3, "receivers: Field"),
    "stage to itself": (POLICY.replace("to: develop", "to: manage"), 3, "must change the stage"),
    "repeated field key": (
        POLICY.replace(
            "    sla_hours", "      - key: objective\n        label: Again\n    sla_hours"
        ),
        3,
        "packet field keys repeat",
    ),
    "duplicate transition": (
        POLICY + EXTRA_TRANSITION + POLICY.split("transitions:\n")[1],
        17,
        "transition defined more than once: manage → develop",
    ),
    "invalid YAML": (POLICY.replace("    to: develop", "   to: develop"), 4, "not valid YAML"),
    "not a mapping": ("- manage\n- develop\n", 1, "must be a mapping"),
    "empty file": ("", 1, "must be a mapping"),
    "no transitions": ("transitions: []\n", 1, "at least one transition"),
}


@pytest.mark.parametrize(("text", "line", "says"), BAD_FILES.values(), ids=BAD_FILES.keys())
def test_a_bad_file_is_refused_with_the_line_and_the_reason(tmp_path, text, line, says):
    path = tmp_path / "policy.yml"
    path.write_text(text, encoding="utf-8")

    with pytest.raises(PolicyError) as refused:
        load_policy(path)

    (problem,) = refused.value.problems
    assert problem.startswith(f"line {line}: "), problem
    assert says in problem
    assert str(refused.value).startswith(f"{path}: ")


def test_every_problem_in_a_file_is_reported():
    text = POLICY.replace("architect]", "wizard]").replace("sla_hours: 12", "sla_hours: 0")

    with pytest.raises(PolicyError) as refused:
        parse_policy(text, "team.yml")

    assert [p.split(":")[0] for p in refused.value.problems] == ["line 5", "line 10"]


def test_a_list_after_a_header_comment_is_reported_where_it_starts():
    with pytest.raises(PolicyError) as refused:
        parse_policy("# Baton policy\n\n- manage\n- develop\n")

    assert refused.value.problems[0].startswith("line 3: ")


# -- typed packet fields ----------------------------------------------------------------------

WITHOUT_TYPES = """transitions:
  - from: manage
    to: develop
    signoff: [domain_expert]
    receivers: [ds]
    sla_hours: 24
    fields:
      - {key: objective, label: Objective, multiline: true}
      - {key: training_data, label: Training data, format: name@version}
      - {key: target_date, label: Target date, hint: YYYY-MM-DD, multiline: false}
"""


def test_a_file_written_before_field_types_still_loads():
    fields = parse_policy(WITHOUT_TYPES).transitions[0].fields
    assert [(f.key, f.type) for f in fields] == [
        ("objective", "multiline"),
        ("training_data", "name@version"),
        ("target_date", "text"),
    ]
    assert fields[0].multiline and fields[1].format == "name@version"
    # What an old file promised still holds: a name@version field refuses a bare name.
    with pytest.raises(DomainError, match="must name its version"):
        handoffs.validate_packet(
            parse_policy(WITHOUT_TYPES).transitions[0],
            {"objective": "o", "training_data": "customers", "target_date": "soon"},
        )


def test_a_snapshot_from_before_field_types_reads_back_as_the_same_rules():
    """Hand-offs keep the rules they opened under (policy_versions); older snapshots have
    `multiline` and `format` and no `type`."""
    old = DEFAULT_POLICY.transitions[0].model_dump(mode="json", by_alias=True)
    old["fields"] = [
        {
            "key": f["key"],
            "label": f["label"],
            "hint": f["hint"],
            "multiline": False,
            "format": None,
        }
        for f in old["fields"]
    ]
    assert {f.type for f in rules_of(old).fields} == {"text"}
    again = rules_of(transition_snapshot(DEFAULT_POLICY.transitions[3]))
    assert again == DEFAULT_POLICY.transitions[3]


TYPED = WITHOUT_TYPES.split("    fields:\n")[0] + "    fields:\n"
BAD_FIELDS = {
    "unknown type": ("      - {key: a, label: A, type: colour}\n", "Input should be 'text'"),
    "select without options": ("      - {key: a, label: A, type: select}\n", "needs options"),
    "options on a date": (
        "      - {key: a, label: A, type: date, options: [x]}\n",
        "options are for type: select",
    ),
    "a repeated option": (
        "      - {key: a, label: A, type: select, options: [x, x]}\n",
        "options repeat",
    ),
    "an option too long": (
        f"      - {{key: a, label: A, type: select, options: [{'x' * 76}]}}\n",
        "1 to 75 characters",
    ),
    "old and new spelling disagree": (
        "      - {key: a, label: A, type: text, multiline: true}\n",
        "contradicts the older multiline",
    ),
}


@pytest.mark.parametrize(("field", "says"), BAD_FIELDS.values(), ids=BAD_FIELDS.keys())
def test_a_bad_field_type_is_refused_with_its_line(field, says):
    with pytest.raises(PolicyError) as refused:
        parse_policy(TYPED + field + "      - {key: b, label: B}\n")
    (problem,) = refused.value.problems
    assert problem.startswith("line 8: transitions.0.fields.0"), problem
    assert says in problem


def test_the_built_in_deploy_to_monitor_endpoint_is_a_link() -> None:
    from models.packet_fields import problem

    transition = DEFAULT_POLICY.transition(Stage.DEPLOY, Stage.MONITOR)
    assert transition is not None
    endpoint = next(f for f in transition.fields if f.key == "endpoint")
    assert endpoint.type == "url"
    assert problem(endpoint.type, endpoint.label, (), "https://models.acme/churn") is None
    assert problem(endpoint.type, endpoint.label, (), "the churn box") is not None
