"""In the sandbox's emulated Slack: a command without a key, in a channel that two projects
call home, asks which one; the pick replaces the question with the answer."""

from __future__ import annotations

from bot.sandbox.payloads import Click
from tests.sandbox.test_emulator import DANA, GRACE, in_channel, text_of


def test_a_pick_in_the_menu_runs_the_command_for_that_project(sandbox):
    ws, slack = sandbox.emulator.workspace, sandbox.emulator.interactions
    for key in ("pricing", "pricing-eu"):
        assert slack.compose(GRACE, "CGENERAL", f"/mlops project create {key}").ok
    assert slack.compose(DANA, "CGENERAL", "/mlops status").ok
    question = in_channel(ws, "CGENERAL", "Which one do you mean?")
    assert question.visible_to == DANA
    [block] = question.blocks
    picked = Click(
        block["block_id"], "command.pick_project", message=question, selected="pricing-eu"
    )
    assert slack.click(DANA, picked).ok
    answer = in_channel(ws, "CGENERAL", "(pricing-eu)")
    assert answer.visible_to == DANA and "Which one" not in text_of(answer)
    assert not [m for m in ws.visible("CGENERAL", DANA) if "Which one" in text_of(m)]
