"""Channel-aware commands and teaching help in the sandbox page, in headless Chromium."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.sandbox.test_browser import ARTIFACTS, open_channel, page, run

__all__ = ["page"]  # the fixture this module borrows


def test_in_a_projects_channel_the_key_is_left_out_and_several_get_a_menu(page: Page):
    open_channel(page, "churn-model")
    run(page, "/mlops help role")
    expect(page.locator("article.msg", has_text="is the domain expert")).to_be_visible()
    run(page, "/mlops roles")
    expect(page.locator("article.msg", has_text="Roles · churn-model")).to_be_visible()
    run(page, "/mlops project create churn-v2 Churn v2")
    expect(page.locator("article.msg", has_text="(churn-v2), stage manage")).to_be_visible()
    run(page, "/mlops status")
    question = page.locator("article.msg", has_text="Which one do you mean?")
    expect(question).to_be_visible()
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=ARTIFACTS / "sandbox-project-picker.png")
    question.locator("select").select_option("churn-v2")
    answer = page.locator("article.msg", has_text="Churn v2 (churn-v2)")
    expect(answer).to_be_visible()
    expect(page.locator("article.msg", has_text="Which one do you mean?")).to_have_count(0)
    page.screenshot(path=ARTIFACTS / "sandbox-project-picked.png")
