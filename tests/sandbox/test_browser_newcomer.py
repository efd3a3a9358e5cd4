"""A newcomer in the sandbox, in a real headless Chromium: sets a project up from App Home with
pickers (a lead for every role) and takes it through manage → develop without typing a command.

Every click and every typed character is counted, and screenshots of each step are saved to
test-artifacts/ (newcomer-1-…png to newcomer-6-…png)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Locator, Page, Route, expect
from playwright.sync_api import Error as PlaywrightError

from bot.sandbox import Sandbox
from tests.sandbox.test_browser import ARTIFACTS, pending_leads

# Who leads which role, as the newcomer (Dana Reyes, the page's first person) picks them.
LEADS = {
    "Data scientist": "Dana Reyes",
    "Data analyst": "Ari Patel",
    "Data engineer": "Eli Novak",
    "DevOps engineer": "Omar Haddad",
    "ML architect": "Mei Tanaka",
    "Software developer": "Sam Okafor",
    "Domain expert / business translator": "Lena Fischer",
    "Business manager": "Grace Kim",
    "Legal / compliance": "Jon Alvarez",
}
PACKET = {
    "Objective": "Set prices per region weekly",
    "Success metric": "Margin +2% at equal volume",
    "Data sources": "sales ledger, competitor prices",
    "Target date": "2026-09-30",
}


@dataclass
class Newcomer:
    """The page, with a tally of what the person did: clicks (a pick in a list is one) and
    characters typed. Nothing is typed into the composer: no command at all."""

    page: Page
    clicks: int = 0
    typed: int = 0

    def click(self, target: Locator) -> None:
        target.click()
        self.clicks += 1

    def pick(self, target: Locator, label: str) -> None:
        target.select_option(label=label)
        self.clicks += 1

    def type(self, target: Locator, text: str) -> None:
        self.click(target)  # into the field
        target.fill(text)
        self.typed += len(text)

    def become(self, name: str) -> None:
        self.pick(self.page.locator("#user-switcher"), name)
        expect(self.page.locator("#me")).to_contain_text(name)

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=ARTIFACTS / f"newcomer-{name}.png")


@pytest.fixture
def newcomer(browser: Browser, sandbox: Sandbox) -> Iterator[Newcomer]:
    page = browser.new_page(viewport={"width": 1280, "height": 860})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(sandbox.url)
    yield Newcomer(page)
    page.context.close()
    assert errors == [], f"the page's script failed: {errors}"


def test_a_newcomer_sets_up_a_project_and_hands_it_off_without_a_command(newcomer: Newcomer):
    page = newcomer.page
    welcome = page.locator("#welcome")
    expect(welcome).to_contain_text("New project")
    expect(page.locator("#user-switcher option", has_text="Domain expert")).to_have_count(0)
    newcomer.click(page.locator("#home-tab"))
    home = page.locator(".home")
    expect(home).to_contain_text("Waiting on your sign-off (0)")
    newcomer.shot("1-first-screen")

    newcomer.click(home.get_by_role("button", name="New project"))
    modal = page.locator("#modal-layer .modal")
    expect(modal.locator(".modal-title")).to_have_text("New project")
    newcomer.type(modal.get_by_label("Display name"), "Pricing engine")
    newcomer.pick(modal.get_by_label("Home channel"), "# general")
    for role, person in LEADS.items():
        newcomer.pick(modal.get_by_label(f"{role} lead"), person)
    newcomer.shot("2-setup-form")
    newcomer.click(modal.get_by_role("button", name="Create"))
    expect(modal).to_be_hidden()
    setup = (newcomer.clicks, newcomer.typed)  # the command way: 11 commands, 483 characters

    project = home.locator(".bk-section", has_text="Pricing engine")
    expect(project).to_contain_text("pricing-engine")  # the key, made from the name
    expect(project).to_contain_text("Data scientist (lead)")
    newcomer.shot("3-home-with-project")

    newcomer.click(home.get_by_role("button", name="Request hand-off"))
    expect(modal.locator(".modal-title")).to_have_text("Request hand-off")
    for label, value in PACKET.items():
        newcomer.type(modal.get_by_label(label), value)
    newcomer.shot("4-handoff-form")
    newcomer.click(modal.get_by_role("button", name="Request"))
    expect(modal).to_be_hidden()

    for lead in ("Lena Fischer", "Mei Tanaka"):
        newcomer.become(lead)
        # The sign-off waiting on them (the project's own line shows the open hand-off too).
        waiting = home.locator(".bk-section", has_text="manage → develop").filter(
            has_text="requested by"
        )
        expect(waiting).to_contain_text("due in 47 h")
        if lead == "Lena Fischer":
            newcomer.shot("5-lead-home-waiting")
        newcomer.click(home.get_by_role("button", name="Approve"))
        expect(home).to_contain_text("Waiting on your sign-off (0)")

    expect(home.locator(".bk-section", has_text="Pricing engine")).to_contain_text("develop")
    newcomer.click(page.locator("button.conv", has_text="# general"))
    card = page.locator("article.msg", has_text="pricing-engine · manage → develop")
    expect(card).to_contain_text("Approved: the project moved on")
    assert pending_leads(card) == []
    expect(page.locator("article.msg", has_text="moved from manage to develop")).to_be_visible()
    newcomer.shot("6-channel-after")

    assert page.locator("#composer-input").input_value() == ""
    print(f"\nset-up: {setup[0]} clicks, {setup[1]} characters typed")
    print(f"whole flow: {newcomer.clicks} clicks, {newcomer.typed} characters typed")
    assert setup == (14, len("Pricing engine"))
    assert newcomer.clicks <= 25


def test_home_chosen_before_the_page_knows_its_person_opens_once_it_does(
    browser: Browser, sandbox: Sandbox
):
    """The first state is held back until Home has been clicked: the page then knows no
    person yet, so it opens Home (app_home_opened) as soon as the state names one, instead of
    asking for nobody's home (a 400, and a tab left empty)."""
    page = browser.new_page()
    held: list[Route] = []

    def hold_first(route: Route) -> None:
        if held:
            route.continue_()
        else:
            held.append(route)

    page.route("**/sandbox/ui/state*", hold_first)
    with page.expect_request("**/sandbox/ui/state*"):
        page.goto(sandbox.url)
    homes: list[int] = []
    page.on("response", lambda r: homes.append(r.status) if r.url.endswith("/ui/home") else None)
    page.locator("#home-tab").click()
    # The click's refresh may have aborted the held poll: its next one went through then.
    with page.expect_response("**/sandbox/ui/home") as opened, contextlib.suppress(PlaywrightError):
        held[0].continue_()
    assert opened.value.ok, opened.value.status
    expect(page.locator(".home")).to_contain_text("My projects")
    assert homes == [200] and page.locator("#toast").is_hidden()
    page.close()


def test_a_form_error_below_the_fold_is_scrolled_into_view(browser: Browser, sandbox: Sandbox):
    # A short window: the set-up form scrolls. The ML architect lead, half-way down, is left
    # empty; Create is clicked at the bottom. The error must be where the person looks.
    page = browser.new_page(viewport={"width": 1280, "height": 560})
    page.goto(sandbox.url)
    page.locator("#home-tab").click()
    page.locator(".home").get_by_role("button", name="New project").click()
    modal = page.locator("#modal-layer .modal")
    modal.get_by_label("Display name").fill("Pricing engine")
    modal.get_by_label("Home channel").select_option(label="# general")
    for role, person in LEADS.items():
        if role != "ML architect":
            modal.get_by_label(f"{role} lead").select_option(label=person)
    modal.get_by_role("button", name="Create").click()
    errored = modal.locator(".bk-has-error")
    expect(errored).to_have_count(1)
    expect(errored).to_contain_text("ML architect lead")
    expect(errored).to_be_in_viewport()
    expect(errored.locator("[data-input]")).to_be_focused()
    page.close()


def test_the_welcome_banner_folds_away_when_the_home_is_scrolled(
    browser: Browser,
    demo: Sandbox,
):
    page = browser.new_page(viewport={"width": 1280, "height": 600})
    page.goto(demo.url)
    page.locator("#home-tab").click()
    welcome, steps = page.locator("#welcome"), page.locator("#welcome ol")
    expect(page.locator(".home")).to_contain_text("My projects")
    messages = page.locator("#messages")
    messages.evaluate("box => { box.scrollTop = 0; }")  # the channel opened scrolled down
    expect(steps).to_be_visible()
    messages.evaluate("box => { box.scrollTop = 200; }")
    expect(steps).to_be_hidden()
    banner, listed = welcome.bounding_box(), messages.bounding_box()
    assert banner is not None and listed is not None
    assert banner["height"] < 50  # its one-line heading
    assert listed["y"] >= banner["y"] + banner["height"]  # the list starts below it
    page.locator("#messages").evaluate("box => { box.scrollTop = 0; }")
    expect(steps).to_be_visible()
    page.close()
