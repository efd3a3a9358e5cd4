"""Steps a person takes in Slack, shared by the end-to-end tests."""

from __future__ import annotations

from typing import Any

from bot.renderers import HOME_PUBLISH_SECONDS
from tests.slackbot.harness import BotClient

PACKETS: dict[str, dict[str, str]] = {
    "develop": {
        "objective": "Predict churn 30 days ahead",
        "success_metric": "AUC >= 0.85 on holdout",
        "data_sources": "warehouse.customers, events stream",
        "target_date": "2026-05-01",
    },
    "deploy": {
        "model_name": "churn-xgb",
        "model_version": "3",
        "training_data": "customers@2026-02-28",
        "data_source": "s3://lake/customers/2026-02-28",
        "evaluation": "AUC 0.87, recall 0.71",
        "limitations": "New markets under-represented",
    },
    "monitor": {
        "endpoint": "https://models.acme/churn",
        "deployed_version": "3",
        "dashboard_url": "https://grafana.acme/d/churn",
        "runbook": "https://wiki.acme/churn-runbook",
    },
    "develop-again": {
        "issue": "AUC dropped to 0.71",
        "affected_metrics": "auc",
        "suspected_cause": "data pipeline",
    },
}


def deliver_all(bot: BotClient, clock: Any) -> None:
    """Deliver what is due, then, past App Home's publish throttle, the trailing Home publishes
    it deferred (the test's clock moves; nothing sleeps)."""
    bot.deliver()
    clock.advance(seconds=HOME_PUBLISH_SECONDS)
    bot.deliver()


def wait_for_modal(bot: BotClient, opened_before: int) -> dict[str, Any]:
    """views.open follows the acknowledgement (it needs the trigger), so wait for it."""
    bot.fake.wait_for(lambda: len(bot.fake.calls_to("views.open")) > opened_before)
    return last_modal(bot)


def open_form(bot: BotClient, user: str, key: str) -> dict[str, Any]:
    opened = len(bot.fake.calls_to("views.open"))
    bot.reply(f"handoff {key}", user=user)
    return wait_for_modal(bot, opened)


def click_for_modal(bot: BotClient, action: str, handoff_id: int, user: str) -> dict[str, Any]:
    opened = len(bot.fake.calls_to("views.open"))
    assert bot.click(action, str(handoff_id), user=user).status_code == 200
    return wait_for_modal(bot, opened)


def last_modal(bot: BotClient) -> dict[str, Any]:
    return bot.fake.calls_to("views.open")[-1].params["view"]


def request_handoff(bot: BotClient, user: str, key: str, packet: dict[str, str]) -> Any:
    opened = len(bot.fake.calls_to("views.open"))
    ack = bot.reply(f"handoff {key}", user=user)
    assert ack == {} or "blocks" not in ack, ack
    wait_for_modal(bot, opened)
    response = bot.submit(last_modal(bot), packet, user=user)
    bot.deliver()
    return response


def prefilled(form: dict[str, Any]) -> dict[str, str | None]:
    """block_id → the value each input opens with, wherever its element type keeps it."""
    found: dict[str, str | None] = {}
    for block in form["blocks"]:
        if block["type"] != "input":
            continue
        element = block["element"]
        option = element.get("initial_option")
        found[block["block_id"]] = (
            option["value"]
            if option
            else element.get("initial_value")
            or element.get("initial_date")
            or element.get("initial_user")
        )
    return found


def buttons(message: dict[str, Any]) -> list[str]:
    return [
        element["text"]["text"]
        for block in message.get("blocks", [])
        if block["type"] == "actions"
        for element in block["elements"]
    ]


def named_history(bot: BotClient, key: str, user: str = "UANY", limit: int = 50) -> str:
    """`/mlops history` naming people Baton had not cached: the acknowledgement is empty, and
    the one answer comes through the command's response_url once Slack gave the names."""
    answered = len(bot.fake.responses())
    ack = bot.reply(f"history {key} {limit}", user=user)
    assert not text_of(ack), text_of(ack)  # nothing shown before the names are known
    bot.fake.wait_for(lambda: len(bot.fake.responses()) > answered)
    (answer,) = bot.fake.responses()[answered:]
    assert answer["response_type"] == "ephemeral" and "replace_original" not in answer
    return text_of(answer)


def text_of(message: dict[str, Any]) -> str:
    """All the text a person reads in a message or view."""
    parts = [message.get("text", "")]

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if isinstance(node.get("text"), str):
                parts.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(message.get("blocks", []))
    return "\n".join(parts)


def card_messages(bot: BotClient) -> list[dict[str, Any]]:
    return [m for m in bot.fake.messages() if "Hand-off ·" in text_of(m)]


def approve_all(bot: BotClient, handoff_id: int, users: list[str]) -> None:
    for user in users:
        response = bot.click("handoff.approve", str(handoff_id), user=user)
        assert response.status_code == 200
    bot.deliver()
