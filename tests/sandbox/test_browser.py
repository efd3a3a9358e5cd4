"""The sandbox in a real headless Chromium (Debian's, driven by Playwright): a whole hand-off,
clicked through the page as each person would, against the demo seed."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Locator, Page, expect

from bot.sandbox import Sandbox

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PENDING = re.compile(r"pending, @([^\n]+)")

expect.set_options(timeout=15_000)


@pytest.fixture
def page(browser: Browser, demo: Sandbox) -> Iterator[Page]:
    opened = browser.new_page(viewport={"width": 1280, "height": 860})
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    opened.goto(demo.url)
    yield opened
    opened.context.close()
    assert errors == [], f"the page's script failed: {errors}"


def become(page: Page, name: str) -> None:
    """Pick a person in the user switcher, as someone trying the sandbox does."""
    value = page.locator("#user-switcher option", has_text=name).get_attribute("value")
    page.select_option("#user-switcher", value=value)
    expect(page.locator("#me")).to_contain_text(name)


def open_channel(page: Page, name: str) -> None:
    page.locator("button.conv", has_text=f"# {name}").click()
    expect(page.locator("#conv-title")).to_have_text(f"#{name}")


def run(page: Page, command: str) -> None:
    page.fill("#composer-input", command)
    page.press("#composer-input", "Enter")


def pending_leads(card: Locator) -> list[str]:
    checklist = card.locator(".bk-text", has_text="Sign-off").inner_text()
    return PENDING.findall(checklist)


def test_first_screen_tells_the_story(page: Page):
    expect(page.locator("#conv-title")).to_have_text("#churn-model")
    card = page.locator("article.msg", has_text="churn-model · manage → develop")
    expect(card).to_contain_text("Waiting for sign-off")
    assert pending_leads(card) == ["Lena Fischer", "Mei Tanaka"]
    expect(page.locator("button.conv", has_text="# demand-forecast")).to_contain_text(
        re.compile(r"\d")
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "sandbox-first.png")
    open_channel(page, "demand-forecast")
    expect(page.locator("article.msg", has_text="above its max")).to_be_visible()


def test_handoff_requested_in_the_page_and_approved_by_each_lead(page: Page):
    become(page, "Dana Reyes")
    open_channel(page, "fraud-detection")
    run(page, "/mlops handoff fraud-detection")

    modal = page.locator("#modal-layer .modal")
    expect(modal.locator(".modal-title")).to_have_text("Request hand-off")
    modal.get_by_role("button", name="Request").click()
    expect(modal.locator(".bk-error").first).to_have_text("Please fill out this field.")
    modal.get_by_label("Endpoint").fill("https://models.example.internal/fraud")
    modal.get_by_label("Deployed version").fill("4")
    modal.get_by_label("Dashboard URL").fill("https://grafana.example.internal/d/fraud")
    modal.get_by_label("Runbook").fill("Roll back with `deploy fraud --to 3`")
    modal.get_by_role("button", name="Request").click()
    expect(modal).to_be_hidden()

    card = page.locator("article.msg", has_text="fraud-detection · deploy → monitor")
    expect(card).to_contain_text("Waiting for sign-off")
    leads = pending_leads(card)
    assert leads == ["Sam Okafor", "Omar Haddad", "Mei Tanaka"]
    for lead in leads:
        become(page, lead)
        card.get_by_role("button", name="Approve").click()
        expect(card).to_contain_text(f"approved by @{lead}")

    expect(card).to_contain_text("Approved: the project moved on")
    expect(card.get_by_role("button", name="Approve")).to_have_count(0)
    moved = page.locator("article.msg", has_text="moved from deploy to monitor")
    expect(moved).to_contain_text("fraud-detection moved from deploy to monitor")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "sandbox.png")


def test_app_home_lists_my_sign_offs_and_approving_there_updates_the_channel(page: Page):
    become(page, "Lena Fischer")
    page.locator("#home-tab").click()
    home = page.locator(".home")
    expect(home).to_contain_text("Waiting on your sign-off (1)")
    expect(home).to_contain_text("churn-model")
    expect(home).to_contain_text(re.compile(r"My projects \(\d+\)"))
    home.get_by_role("button", name="Approve").click()
    expect(home).to_contain_text("Waiting on your sign-off (0)")

    open_channel(page, "churn-model")
    card = page.locator("article.msg", has_text="churn-model · manage → develop")
    expect(card).to_contain_text("approved by @Lena Fischer")
    assert pending_leads(card) == ["Mei Tanaka"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "sandbox-after-home-approval.png")


def test_a_rejection_closes_the_card_and_reaches_the_requester(page: Page):
    become(page, "Mei Tanaka")
    card = page.locator("article.msg", has_text="churn-model · manage → develop")
    card.get_by_role("button", name="Reject").click()
    modal = page.locator("#modal-layer .modal")
    modal.get_by_label("Reason").fill("Not this quarter")
    modal.get_by_role("button", name="Reject").click()
    expect(modal).to_be_hidden()

    expect(card).to_contain_text("Rejected")
    expect(card).to_contain_text("not needed — closed")
    expect(card.get_by_role("button")).to_have_count(0)
    assert pending_leads(card) == []
    told = page.locator("article.msg", has_text="was rejected by @Mei Tanaka")
    expect(told).to_contain_text("“Not this quarter”")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "sandbox-rejected.png")

    become(page, "Dana Reyes")
    page.locator("#dm-list button.conv").click()
    dm = page.locator("article.msg", has_text="Your churn-model hand-off")
    expect(dm).to_contain_text("was rejected by @Mei Tanaka")
    page.screenshot(path=ARTIFACTS / "sandbox-rejected-dm.png")


def test_away_from_app_home_opens_the_modal_and_home_shows_the_absence(page: Page):
    become(page, "Lena Fischer")
    page.locator("#home-tab").click()
    home = page.locator(".home")
    home.get_by_role("button", name="Away…").click()
    modal = page.locator("#modal-layer .modal")
    expect(modal.locator(".modal-title")).to_have_text("Away")
    modal.get_by_label("Away until").fill("2030-01-15")
    modal.get_by_label("Delegate").select_option(label="Sam Okafor")
    modal.get_by_label("Reason").fill("Parental leave")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "sandbox-away-modal.png")
    modal.get_by_role("button", name="Save").click()
    expect(modal).to_be_hidden()
    expect(home).to_contain_text("You are away until 2030-01-15, @Sam Okafor signs for you.")
    expect(home.get_by_role("button", name="Back")).to_be_visible()
    page.screenshot(path=ARTIFACTS / "sandbox-away-home.png")
    home.get_by_role("button", name="Back").click()
    expect(home.get_by_role("button", name="Away…")).to_be_visible()
