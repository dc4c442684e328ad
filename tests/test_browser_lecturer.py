"""The lesson as a Vietnamese lecturer runs it, in a real headless Chromium: one slot (a
2-core laptop), the teacher on a 1280 x 720 projector in presenter view, a follower on a
phone (390 x 844), everything in Vietnamese.

The teacher shows the GAN demo, then starts a comparison: the Start offers to stop and save
the demo in one click, and the follower's phone goes to the comparison by itself. On the
projector nothing is cut (buttons, the time left, the presenter switch) and each model of
the comparison shows its grid or says it waits for its turn; the phone's timeline slider
stands at the newest step. Screenshots of what the class sees go to
test-artifacts/screenshots/lecturer-*.png (look at them).

Same launch pattern as tests/test_browser.py (Debian's chromium, skipped without it).
"""

from __future__ import annotations

import re

import pytest

from tests.helpers import NEEDS_CHROMIUM, demo_app, new_tab, settled, shoot, wait_until

pytestmark = NEEDS_CHROMIUM
pytest.importorskip("playwright.sync_api",
                    reason="playwright is not installed (requirements-dev.txt)")

PASSCODE = "mật khẩu của giảng viên"
PROJECTOR, PHONE = {"width": 1280, "height": 720}, {"width": 390, "height": 844}
GRID = ".st-key-presenter-grid img"
GRIDS = ".st-key-presenter-grids"
# A label Streamlit cut to fit: its text is wider than the box that shows it.
CUT = """els => els.filter(e => e.offsetWidth > 0 && e.scrollWidth > e.clientWidth + 1)
                     .map(e => e.textContent)"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with demo_app(tmp_path_factory.mktemp("server"), GAN_CLASSROOM_TEACHER_PASSCODE=PASSCODE,
                  GAN_CLASSROOM_MAX_RUNS="1", GAN_CLASSROOM_COMPARE_TIME_SCALE="0.1") as app:
        yield app.url


def new_page(browser, url: str, viewport: dict, scale: float = 1.0):
    page = new_tab(browser, viewport, timeout_s=120, device_scale_factor=scale)
    page.goto(url)
    settled(page)
    return page


def shot(page, name: str) -> None:
    shoot(page, f"lecturer-{name}")


def top(page) -> None:
    """Back to the top of the page, where a click far down left it scrolled."""
    page.locator("[data-testid='stMain'] h1").first.scroll_into_view_if_needed()


def cut_labels(page, selector: str) -> list[str]:
    """The labels under `selector` that are cut short ("Tạm d…")."""
    return page.locator(f"{selector} [data-testid='stMarkdownContainer'] p").evaluate_all(CUT)


@pytest.fixture(scope="module")
def teacher(browser, server):
    page = new_page(browser, f"{server}/?lang=vi", PROJECTOR)
    page.locator("[data-testid='stSidebar'] [data-testid='stExpander'] summary").click()
    page.locator("[data-testid='stSidebar'] input[type='password']").fill(PASSCODE)
    page.keyboard.press("Enter")
    page.locator(".st-key-teacher-sign-out").wait_for()
    return page


@pytest.fixture(scope="module")
def phone(browser, server):
    return new_page(browser, f"{server}/train?follow=teacher&lang=vi", PHONE, scale=3.0)


def test_the_demo_on_the_projector_fits_in_vietnamese_and_the_phone_follows(
        teacher, phone, server):
    teacher.goto(f"{server}/?lang=vi&present=1")
    settled(teacher)
    teacher.locator(".st-key-demo-gan button").click()
    teacher.wait_for_url("**/train**")
    teacher.locator(GRID).wait_for()
    teacher.locator(".st-key-train-pause").wait_for()
    # The time left appears once the speed is known.
    teacher.get_by_text(re.compile(r"còn \d+:\d\d")).first.wait_for()
    settled(teacher)
    teacher.locator(GRID).hover()               # where the full-screen button used to cover
    shot(teacher, "train-1280x720-vi")
    assert not cut_labels(teacher, "[data-testid='stMain'] [data-testid='stButton'], "
                                   "[data-testid='stMain'] [data-testid='stPopover']")
    left = teacher.get_by_text(re.compile(r"còn \d+:\d\d")).first.bounding_box()
    assert left["x"] + left["width"] <= PROJECTOR["width"]
    toolbar = teacher.locator(".st-key-presenter-grid [data-testid='stElementToolbar']")
    assert not toolbar.count() or not toolbar.first.is_visible()

    # The phone followed without a reload; its timeline slider stands at the newest grid.
    grid = phone.locator(".st-key-presenter-grid img[src]").first
    grid.wait_for()
    settled(phone)
    shot(phone, "phone-train-390x844-vi")
    box = grid.bounding_box()
    assert box["y"] + box["height"] <= PHONE["height"], "the grid is cut by the first screen"
    slider = phone.locator("[data-testid='stSlider'] input[type='range']").first
    slider.wait_for(state="attached", timeout=60_000)    # two grids: on a page refresh
    assert slider.input_value() == slider.get_attribute("max") != "0"

    # The presenter switch in the opened sidebar is whole.
    teacher.locator("[data-testid='stExpandSidebarButton']").click()
    teacher.locator(".st-key-presenter-switch").wait_for()
    shot(teacher, "train-sidebar-1280x720-vi")
    assert not cut_labels(teacher, ".st-key-presenter-switch")
    teacher.locator("[data-testid='stSidebarCollapseButton'] button").click()


def test_the_teachers_comparison_starts_in_one_click_and_the_phone_follows_it(
        teacher, phone, server):
    teacher.goto(f"{server}/compare?lang=vi&present=1")
    settled(teacher)
    teacher.locator(".st-key-compare-start button").click()
    # The demo still trains in the only slot: one click stops and saves it, and starts.
    offer = teacher.locator(".st-key-compare-start-make-room button")
    offer.wait_for()
    assert "GAN_CLASSROOM" not in teacher.locator("[data-testid='stMain']").inner_text()
    offer.click()
    teacher.locator(GRIDS).wait_for()
    # Sequential: the GAN trains first; the two others say they wait for their turn.
    teacher.get_by_text(re.compile("đang chờ đến lượt")).nth(1).wait_for()
    settled(teacher)
    top(teacher)
    shot(teacher, "compare-1280x720-vi-waiting")

    phone.wait_for_url("**/compare**", timeout=60_000)
    phone.locator(f"{GRIDS} .gc-live img[src]").first.wait_for()
    settled(phone)
    shot(phone, "phone-compare-390x844-vi")

    teacher.locator(f"{GRIDS} [data-testid='stImage'] img").nth(2).wait_for(timeout=240_000)
    settled(teacher)
    top(teacher)
    shot(teacher, "compare-1280x720-vi")
    grids = teacher.locator(f"{GRIDS} [data-testid='stImage'] img")
    for index in range(3):
        box = grids.nth(index).bounding_box()
        assert box["y"] + box["height"] <= PROJECTOR["height"], f"grid {index} below the fold"
        assert box["height"] >= 240, f"grid {index} is {box['height']:.0f} px: too small"
    wait_until(lambda: phone.locator(f"{GRIDS} .gc-live img[src]").count() == 3, timeout=120,
               what="the phone to show the three grids")
    shot(phone, "phone-compare-390x844-vi-done")
