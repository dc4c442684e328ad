"""End to end, in a real headless Chromium: the app as a student meets it.

Starts `streamlit run app.py` on a free local port, opens it in Debian's Chromium driven by
Playwright, follows a bookmark to a page as the server's first visitor, starts a short
training from the Home page's demo button, sees the chart and the sample grid change, moves
a latent slider and sees the digit change, and saves a screenshot of every page under
test-artifacts/screenshots/ (look at them).

Needs Debian's `chromium` (`apt-get install chromium`; .ci/run installs it). Playwright's own
browser download is never used. Without Chromium the test skips and says so.
"""

from __future__ import annotations

import pytest

from tests.helpers import NEEDS_CHROMIUM, drawn_vector, new_tab, settled, shoot, wait_until
from ui.pages import PAGES, AppPage

# The heading a page shows is its menu title, except for these.
HEADINGS = {PAGES.theory: "Theory: from GAN to WGAN-GP"}

pytestmark = NEEDS_CHROMIUM
pytest.importorskip("playwright.sync_api",
                    reason="playwright is not installed (requirements-dev.txt)")


@pytest.fixture(scope="module")
def page(browser):
    page = new_tab(browser)
    yield page
    page.context.close()


def image_source(page, index: int = 0) -> str:
    return page.locator("[data-testid='stImage'] img").nth(index).get_attribute("src")


def open_page(page, app_page: AppPage) -> None:
    """Click the page's link in the sidebar (the session, and its run, stay) and wait for it."""
    page.locator("[data-testid='stSidebarNav'] a", has_text=app_page.title).first.click()
    page.wait_for_url(f"**/{app_page.url_path}**")
    page.wait_for_selector(f"h1:has-text('{HEADINGS.get(app_page, app_page.title)}')")
    settled(page)


def chart_drawing(page) -> str:
    """The first live chart as drawn (its SVG): it changes when the data does."""
    return page.locator("[data-testid='stPlotlyChart']").first.inner_html()


def test_a_link_opened_first_on_a_fresh_server_shows_the_apps_menu(page, server):
    """The server's first visitor (this test comes first) follows a bookmark to /train: the
    page runs through app.py, so the menu shows the pages' titles, not their file names."""
    page.goto(f"{server}/{PAGES.train.url_path}")
    page.wait_for_selector(f"h1:has-text('{PAGES.train.title}')")
    settled(page)
    links = page.locator("[data-testid='stSidebarNav'] a").all_inner_texts()
    assert [text.splitlines()[-1] for text in links] == [app_page.title for app_page in PAGES]


def test_a_student_trains_watches_and_explores(page, server):
    page.goto(server)
    settled(page)
    shoot(page, "home", full_page=True)

    # Start the GAN demo from Home: the Train page opens and the run trains live.
    page.get_by_role("button", name="Train the GAN article's model").click()
    page.wait_for_url("**/train**")
    page.wait_for_selector("[data-testid='stPlotlyChart']")
    page.wait_for_selector("[data-testid='stImage'] img")
    first_grid, first_chart = image_source(page), chart_drawing(page)
    wait_until(lambda: image_source(page) != first_grid, what="the sample grid to change")
    wait_until(lambda: chart_drawing(page) != first_chart, what="the chart to change")
    shoot(page, "train", full_page=True)

    # The explorer: moving a latent slider redraws the digit (the browser draws it).
    open_page(page, PAGES.explorer)
    before = drawn_vector(page)
    slider = page.locator(".gc-part input[type='range']").first
    slider.focus()
    for _ in range(20):
        slider.press("ArrowRight")
    settled(page)
    wait_until(lambda: drawn_vector(page) != before, timeout=60, what="the digit to change")
    shoot(page, "explorer", full_page=True)

    for app_page in (PAGES.interpolation, PAGES.models, PAGES.compare, PAGES.playground,
                     PAGES.theory):
        open_page(page, app_page)
        errors = page.locator("[data-testid='stException']").count()
        assert not errors, f"error on {app_page.title}"
        shoot(page, app_page.url_path, full_page=True)
