"""The dossier in the real browser (Debian's Chromium via Playwright): it renders, reads as an
auditor would, runs nothing typed into it, and prints to PDF. Artifacts in test-artifacts/."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect, sync_playwright

from bot.dossier_render import render_dossier
from models.base import utcnow
from models.services import dossier
from tests.conftest import _database
from tests.models.conftest import KEY, T
from tests.models.dossier_seed import TRICKY, name_everyone, seed_lifecycle
from tests.sandbox.conftest import CHROMIUM, CHROMIUM_ARGS
from tests.sandbox.test_browser import ARTIFACTS


@pytest.fixture
def sqlite_db(databases, tmp_path_factory):
    database = _database("sqlite", databases, tmp_path_factory)
    database.clear()
    return database


def test_the_dossier_renders_and_prints(sqlite_db, clock, tmp_path):
    seeded, _ = seed_lifecycle(sqlite_db)
    name_everyone(sqlite_db)
    with sqlite_db.session() as s:
        page_html = render_dossier(dossier.build(s, T, KEY, seeded.policy, utcnow()), "html")
    path = tmp_path / "dossier.html"
    path.write_text(page_html, encoding="utf-8")
    ARTIFACTS.mkdir(exist_ok=True)

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1100, "height": 1400})
        dialogs: list[str] = []
        page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
        requests: list[str] = []
        page.on("request", lambda r: requests.append(r.url))
        page.goto(path.as_uri())

        expect(page.locator("h1")).to_have_text("Evidence dossier: Churn model")
        expect(page.locator(".chain")).to_contain_text("Audit chain verified")
        decided = page.locator("table", has_text="Who decided what")
        expect(page.locator("section.first-page")).to_contain_text("Mei Tanaka")
        expect(page.locator(".packet").first).to_contain_text(TRICKY)
        assert decided.count() == 0  # the heading is an h2 above the table, not inside it
        page.screenshot(path=str(ARTIFACTS / "dossier-first-page.png"))
        page.screenshot(path=str(ARTIFACTS / "dossier-full.png"), full_page=True)
        pdf = page.pdf(path=str(ARTIFACTS / "dossier.pdf"), format="A4", print_background=True)
        browser.close()

    assert dialogs == []  # the typed <script> stayed text
    assert requests == [path.as_uri()]  # self-contained: nothing else was fetched
    assert pdf.startswith(b"%PDF") and pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") >= 2
