"""The hand-off policy: who signs off which transition, who receives it, what the packet holds.

The built-in default is SPEC section 1; a YAML file may replace it. Errors in a file are
reported with the line they stand on, so a broken policy is refused with a reason a person
can act on.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from models.enums import Role, Stage
from models.packet_fields import OPTION_MAX, OPTIONS_MAX, FieldType

KEY_PATTERN = r"^[a-z][a-z0-9_]{0,39}$"

SelfSignoff = Literal["forbidden", "allowed"]
# Separation of duties where code reaches users: whoever requests these cannot sign them.
SELF_SIGNOFF_FORBIDDEN = {(Stage.DEVELOP, Stage.DEPLOY), (Stage.DEPLOY, Stage.MONITOR)}


class PacketField(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=KEY_PATTERN)
    label: str = Field(min_length=1, max_length=60)
    hint: str | None = Field(default=None, max_length=150)
    # What the form asks for and the packet accepts (models/packet_fields.py); default text.
    type: FieldType = "text"
    options: tuple[str, ...] = Field(default=(), max_length=OPTIONS_MAX)  # a select's choices

    @model_validator(mode="before")
    @classmethod
    def _older_spelling(cls, data: Any) -> Any:
        """Files written before `type` said `multiline: true` or `format: name@version`."""
        if not isinstance(data, dict) or not {"multiline", "format"} & set(data):
            return data
        data = dict(data)
        multiline, fmt = data.pop("multiline", False), data.pop("format", None)
        if fmt not in (None, "name@version"):
            raise ValueError(f"format may only be name@version (or write type: ...), not {fmt!r}")
        older = "name@version" if fmt else "multiline" if multiline is True else "text"
        if data.setdefault("type", older) != older and older != "text":
            raise ValueError(f"type {data['type']} contradicts the older {older} spelling")
        return data

    @property
    def multiline(self) -> bool:
        return self.type == "multiline"

    @property
    def format(self) -> str | None:
        """The older spelling of type: name@version, for code that still reads it."""
        return "name@version" if self.type == "name@version" else None

    @model_validator(mode="after")
    def _options_for_selects(self) -> PacketField:
        if self.type != "select":
            if self.options:
                raise ValueError("options are for type: select")
            return self
        if not self.options:
            raise ValueError("a select needs options, e.g. [model, data pipeline]")
        if any(not o.strip() or len(o) > OPTION_MAX for o in self.options):
            raise ValueError(f"each option has 1 to {OPTION_MAX} characters")
        if len(set(self.options)) != len(self.options):
            raise ValueError("options repeat")
        return self


class Transition(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_stage: Stage = Field(alias="from")
    to_stage: Stage = Field(alias="to")
    signoff: tuple[Role, ...] = Field(min_length=1)
    # Required only when the project has a lead for them (e.g. compliance).
    signoff_if_assigned: tuple[Role, ...] = ()
    receivers: tuple[Role, ...] = Field(min_length=1)
    fields: tuple[PacketField, ...] = Field(min_length=1)
    sla_hours: float = Field(gt=0, le=24 * 90)
    # May the requester sign for a role they lead? Unset: the built-in rule for this pair.
    self_signoff: SelfSignoff = "allowed"

    @model_validator(mode="before")
    @classmethod
    def _built_in_self_signoff(cls, data: Any) -> Any:
        """Files and snapshots written before the setting get the built-in default."""
        if not isinstance(data, dict) or data.get("self_signoff") is not None:
            return data
        try:
            pair = (
                Stage(data.get("from", data.get("from_stage"))),
                Stage(data.get("to", data.get("to_stage"))),
            )
        except ValueError:
            return data  # the field validators name the bad stage
        forbidden = pair in SELF_SIGNOFF_FORBIDDEN
        return {**data, "self_signoff": "forbidden" if forbidden else "allowed"}

    @field_validator("signoff", "signoff_if_assigned", "receivers", mode="before")
    @classmethod
    def _roles_by_alias(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return tuple(Role.parse(v) if isinstance(v, str) else v for v in value)
        return value

    @model_validator(mode="after")
    def _coherent(self) -> Transition:
        if Stage.ARCHIVED in (self.from_stage, self.to_stage):
            raise ValueError("archiving is not a hand-off; use 'project archive'")
        if self.from_stage == self.to_stage:
            raise ValueError("a transition must change the stage")
        keys = [f.key for f in self.fields]
        if len(keys) != len(set(keys)):
            raise ValueError(
                f"packet field keys repeat: {sorted({k for k in keys if keys.count(k) > 1})}"
            )
        return self

    @property
    def name(self) -> str:
        return f"{self.from_stage.value} → {self.to_stage.value}"

    @property
    def requester_may_sign(self) -> bool:
        return self.self_signoff == "allowed"

    def field(self, key: str) -> PacketField | None:
        return next((f for f in self.fields if f.key == key), None)


def _repeated_transitions(policy: Policy) -> list[int]:
    pairs = [(t.from_stage, t.to_stage) for t in policy.transitions]
    return [i for i, pair in enumerate(pairs) if pair in pairs[:i]]


class Policy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    transitions: tuple[Transition, ...]

    @model_validator(mode="after")
    def _one_per_pair(self) -> Policy:
        if not self.transitions:
            raise ValueError("the policy needs at least one transition")
        if _repeated_transitions(self):
            # Files are checked by parse_policy, which names the line; this guards code.
            raise ValueError("a transition is defined more than once")
        return self

    def transition(self, from_stage: Stage, to_stage: Stage | None = None) -> Transition | None:
        """The transition between two stages; without a target, the first one out of from_stage."""
        for t in self.transitions:
            if t.from_stage == from_stage and to_stage in (None, t.to_stage):
                return t
        return None

    def targets_from(self, stage: Stage) -> list[Stage]:
        return [t.to_stage for t in self.transitions if t.from_stage == stage]


def _field(key: str, label: str, hint: str | None = None, **extra: Any) -> dict[str, Any]:
    return {"key": key, "label": label, "hint": hint, **extra}


SUSPECTED_CAUSES = ["model", "data pipeline", "both", "unknown"]

DEFAULT_POLICY_DATA: dict[str, Any] = {
    "transitions": [
        {
            "from": "manage",
            "to": "develop",
            "signoff": ["domain_expert", "ml_architect"],
            "receivers": ["data_scientist", "data_engineer"],
            "fields": [
                _field("objective", "Objective", "What the model is for", type="multiline"),
                _field("success_metric", "Success metric", "e.g. AUC ≥ 0.85 on holdout"),
                _field("data_sources", "Data sources", "Tables, buckets, APIs", type="multiline"),
                _field("target_date", "Target date", "Pick a date", type="date"),
            ],
            "sla_hours": 48,
        },
        {
            "from": "develop",
            "to": "deploy",
            "signoff": ["data_scientist", "domain_expert"],
            "signoff_if_assigned": ["compliance"],
            "receivers": ["software_developer", "devops_engineer"],
            "fields": [
                _field("model_name", "Model name"),
                _field("model_version", "Model version"),
                _field("training_data", "Training data", "name@version", type="name@version"),
                _field("data_source", "Data source", "Where the training data came from"),
                _field("evaluation", "Evaluation", "Metrics on held-out data", type="multiline"),
                _field("limitations", "Limitations", "Known weaknesses", type="multiline"),
            ],
            "sla_hours": 24,
        },
        {
            "from": "deploy",
            "to": "monitor",
            "signoff": ["software_developer", "devops_engineer", "ml_architect"],
            "receivers": ["data_scientist", "data_engineer"],
            "fields": [
                _field("endpoint", "Endpoint", "https://…", type="url"),
                _field("deployed_version", "Deployed version", "e.g. 3", type="version"),
                _field("dashboard_url", "Dashboard URL", "https://…", type="url"),
                _field("runbook", "Runbook", "Link or steps", type="multiline"),
            ],
            "sla_hours": 24,
        },
        {
            "from": "monitor",
            "to": "develop",
            "signoff": ["data_scientist"],
            "receivers": ["data_scientist", "data_engineer"],
            "fields": [
                _field("issue", "Issue", type="multiline"),
                _field("affected_metrics", "Affected metrics"),
                _field(
                    "suspected_cause",
                    "Suspected cause",
                    "Model or data?",
                    type="select",
                    options=SUSPECTED_CAUSES,
                ),
            ],
            "sla_hours": 8,
        },
    ]
}

DEFAULT_POLICY = Policy.model_validate(DEFAULT_POLICY_DATA)


class PolicyError(ValueError):
    """A policy file that cannot be used; `problems` are 'line N: where: why' strings."""

    def __init__(self, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


def load_policy(path: str | Path) -> Policy:
    text = Path(path).read_text(encoding="utf-8")
    return parse_policy(text, str(path))


def parse_policy(text: str, source: str = "<policy>") -> Policy:
    try:
        data = yaml.safe_load(text)
        root = yaml.compose(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        raise PolicyError(
            source, [f"{where}not valid YAML: {getattr(exc, 'problem', exc)}"]
        ) from exc
    if not isinstance(data, dict):
        line = root.start_mark.line + 1 if root is not None else 1
        raise PolicyError(
            source, [f"line {line}: the file must be a mapping with a 'transitions' list"]
        )
    duplicates = _duplicate_problems(data, root)
    if duplicates:
        raise PolicyError(source, duplicates)
    try:
        return Policy.model_validate(data)
    except ValidationError as exc:
        raise PolicyError(source, [_describe(err, root) for err in exc.errors()]) from exc


def _duplicate_problems(data: dict[str, Any], root: yaml.Node | None) -> list[str]:
    """A repeated (from, to) pair, reported at the line of the repeat (before validation, so
    the model-level check never reports it without a place)."""
    items = data.get("transitions")
    if not isinstance(items, list):
        return []
    pairs = [
        (t.get("from"), t.get("to")) if isinstance(t, dict) else (i, i) for i, t in enumerate(items)
    ]
    return [
        f"line {_line_of(root, ['transitions', i])}: transitions.{i}: transition defined more than once: {a} → {b}"
        for i, (a, b) in enumerate(pairs)
        if (a, b) in pairs[:i]
    ]


def _describe(err: Any, root: yaml.Node | None) -> str:
    loc = [p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))]
    path = ".".join(str(p) for p in loc) or "(top level)"
    message = err["msg"].removeprefix("Value error, ")
    return f"line {_line_of(root, loc)}: {path}: {message}"


def _line_of(node: yaml.Node | None, loc: list[Any]) -> int:
    """The 1-based line of the deepest YAML node the error path reaches."""
    line = node.start_mark.line + 1 if node is not None else 1
    for part in loc:
        child = _child(node, part)
        if child is None:
            break
        node, line = child, child.start_mark.line + 1
    return line


def _child(node: yaml.Node | None, part: Any) -> yaml.Node | None:
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            if key.value == part:
                return value
    if isinstance(node, yaml.SequenceNode) and isinstance(part, int) and part < len(node.value):
        return node.value[part]
    return None
