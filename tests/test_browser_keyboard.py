"""In a real Chromium: each page's main action is a few Tab presses from the skip link.

A keyboard user opens a page, presses Tab (Streamlit's "Skip to main content" link, the
first stop of every page) and Enter, and then Tabs to what they came for. The count of those
Tab presses is what this test measures, per page, and bounds (issue 14: "with few Tab
presses"); it is reported in the test's output (`-s`).

The Models page lists every model in the models folder, so its count depends on what the
folder holds: it is measured on a server of its own, with the shipped demo models alone.
"""

from __future__ import annotations

import pytest

from tests.helpers import NEEDS_CHROMIUM, new_tab, settled, shoot
from ui.pages import PAGES, AppPage

pytest.importorskip("playwright.sync_api",
                    reason="playwright is not installed (requirements-dev.txt)")

pytestmark = NEEDS_CHROMIUM

MOST_TABS = 10          # Tab presses after the skip link, at most, to each page's main action
SKIP_LINK = "Skip to main content"

# Each page's main action, as a keyboard user names it: (role, accessible name).
MAIN_ACTIONS: dict[AppPage, tuple[str, str]] = {
    PAGES.train: ("button", "Start training"),
    PAGES.compare: ("button", "Start comparison"),
    PAGES.explorer: ("button", "0"),                # the first digit of "Pick a digit"
    PAGES.interpolation: ("button", "0"),           # the first of "Pick the stops by clicking"
    PAGES.models: ("button", "Open in explorer"),
    PAGES.playground: ("button", "Play"),
}


def tabs_to_main_action(tab, role: str, name: str) -> int | None:
    """Tab presses after the skip link until the action named `name` has the focus; None
    if it does not get it within 60."""
    target = tab.get_by_role(role, name=name, exact=True).first
    target.wait_for()
    tab.keyboard.press("Tab")
    assert tab.evaluate("document.activeElement.innerText").strip() == SKIP_LINK
    tab.keyboard.press("Enter")
    for presses in range(1, 61):
        tab.keyboard.press("Tab")
        if target.evaluate("element => element.contains(document.activeElement)"):
            return presses
    return None


@pytest.fixture
def tab(browser):
    tab = new_tab(browser)
    yield tab
    tab.context.close()


def assert_a_few_tab_presses(tab, server: str, app_page: AppPage) -> None:
    tab.goto(f"{server}/{app_page.url_path}")
    tab.wait_for_selector("h1")
    settled(tab)
    role, name = MAIN_ACTIONS[app_page]
    presses = tabs_to_main_action(tab, role, name)
    print(f"{app_page.url_path}: {name!r} after {presses} Tab presses")
    shoot(tab, f"keyboard-{app_page.url_path}")          # the action focused, in its layout
    assert presses is not None and presses <= MOST_TABS, (app_page.url_path, presses)


@pytest.mark.parametrize("app_page", [p for p in MAIN_ACTIONS if p is not PAGES.models],
                         ids=lambda p: p.url_path)
def test_each_pages_main_action_is_a_few_tab_presses_from_the_skip_link(server, tab, app_page):
    assert_a_few_tab_presses(tab, server, app_page)


def test_the_models_pages_main_action_is_a_few_tab_presses_from_the_skip_link(own_server, tab):
    assert_a_few_tab_presses(tab, own_server, PAGES.models)
