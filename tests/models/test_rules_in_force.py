"""A hand-off is judged by the rules it opened under: a policy change afterwards leaves its
card, its resubmission and its SLA on the old rules; new hand-offs get the new ones."""

from __future__ import annotations

from datetime import timedelta

from models import Handoff, PolicyVersion
from models.enums import Decision, Role, Stage
from models.policy import DEFAULT_POLICY_DATA, Policy
from models.policy_versions import policy_hash
from models.services import handoffs, policy_history
from tests.models.conftest import LEADS, packet_for, rows


def _stricter_policy() -> Policy:
    """manage → develop now asks for a budget, calls the objective 'Business goal', has a 2 h SLA."""
    data = {"transitions": [dict(t) for t in DEFAULT_POLICY_DATA["transitions"]]}
    first = data["transitions"][0]
    first["fields"] = [
        {**f, "label": "Business goal"} if f["key"] == "objective" else f for f in first["fields"]
    ] + [{"key": "budget", "label": "Budget"}]
    first["sla_hours"] = 2
    first["signoff"] = ["domain_expert", "ml_architect", "business_manager"]
    return Policy.model_validate(data)


def test_a_policy_change_leaves_an_open_handoff_on_its_old_rules(seeded, clock):
    opened = seeded.request()
    [row] = rows(seeded.db, Handoff)
    assert row.policy_version == policy_hash(seeded.policy)
    assert row.policy_snapshot["sla_hours"] == 48

    seeded.policy = _stricter_policy()
    card = seeded.card().open_handoff

    assert card.packet[0].label == "Objective"
    assert "budget" not in {line.key for line in card.packet}
    assert [line.role for line in card.checklist] == [Role.DOMAIN_EXPERT, Role.ML_ARCHITECT]

    # Changes requested, then resubmitted: validated and timed by the old rules.
    seeded.decide(LEADS[Role.DOMAIN_EXPERT], opened.id, Decision.CHANGES_REQUESTED, "tighten it")
    with seeded.db.session() as s:
        form = handoffs.form_for(
            s, seeded.actor(LEADS[Role.DATA_SCIENTIST]), seeded.key, None, seeded.policy
        )
        assert form.resubmit and "budget" not in {f.key for f in form.transition.fields}
        again = handoffs.submit_packet(
            s,
            seeded.actor(LEADS[Role.DATA_SCIENTIST]),
            seeded.key,
            None,
            packet_for(Stage.MANAGE, Stage.DEVELOP, objective="Predict churn 60 days ahead"),
            seeded.policy,
        )
    assert again.round == 2
    assert again.due_at - clock.now() == timedelta(hours=48)


def test_a_new_handoff_opens_under_the_new_policy_and_history_lists_both(seeded, clock):
    first = seeded.request()
    with seeded.db.session() as s:
        handoffs.cancel_handoff(
            s, seeded.actor(LEADS[Role.DATA_SCIENTIST]), seeded.key, seeded.policy
        )
    clock.advance(hours=1)
    seeded.policy = _stricter_policy()
    seeded.assign(Role.BUSINESS_MANAGER, LEADS[Role.BUSINESS_MANAGER], lead=True)

    second = seeded.request(packet=packet_for(Stage.MANAGE, Stage.DEVELOP, budget="10k"))

    assert second.packet[0].label == "Business goal" and first.packet[0].label == "Objective"
    assert Role.BUSINESS_MANAGER in {line.role for line in second.checklist}
    with seeded.db.session() as s:
        seen = [(v.hash, v.first_used_at) for v in policy_history.versions(s, seeded.team)]
    assert [h for h, _ in seen] == [
        policy_hash(Policy.model_validate(DEFAULT_POLICY_DATA)),
        policy_hash(seeded.policy),
    ]
    assert seen[1][1] - seen[0][1] == timedelta(hours=1)
    assert len(rows(seeded.db, PolicyVersion)) == 2
