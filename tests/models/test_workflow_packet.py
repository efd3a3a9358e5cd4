"""The packet a Workflow Builder step sends as text: `field: value` lines or a JSON object."""

from __future__ import annotations

import pytest

from models.errors import DomainError
from models.services.workflow_steps import parse_packet


def test_lines_of_field_and_value_with_continued_values():
    text = "Objective: Predict churn\n  30 days ahead\nsuccess-metric: AUC >= 0.85\n\nurl: https://x.io/a:b"
    assert parse_packet(text) == {
        "objective": "Predict churn\n30 days ahead",
        "success_metric": "AUC >= 0.85",
        "url": "https://x.io/a:b",
    }


def test_a_json_object_is_read_as_it_is():
    assert parse_packet('{"model_version": 3, "model_name": "churn"}') == {
        "model_version": "3",
        "model_name": "churn",
    }


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("just a sentence", "Packet lines read `field: value`"),
        ("{not json", "not a JSON object"),
        ("[1, 2]", "Packet lines read"),
        ("x: " + "y" * 20_001, "longer than 20000 characters"),
    ],
)
def test_what_is_not_a_packet_is_refused_with_a_reason(text, said):
    with pytest.raises(DomainError) as refused:
        parse_packet(text)
    assert said in refused.value.message
