"""Presenter view in a real headless Chromium: on a projector's screen the sample grid and the
live chart are both fully inside the viewport, without scrolling; on a phone a watcher sees
the grid on the first screen.

Projector sizes: 1280 x 720 CSS pixels (a 720p projector, and a 1920 x 1080 screen at 150 %,
which is the same CSS pixels at device scale 1.5) and 1920 x 1080 at 100 %. Each check
measures the elements' bounding boxes. Screenshots of what the class sees (the viewport, not
the whole page) go to test-artifacts/screenshots/presenter-*.png.

Same launch pattern as tests/test_browser.py (Debian's chromium, skipped without it).
"""

from __future__ import annotations

import re

import pytest

from tests.helpers import NEEDS_CHROMIUM, new_tab, settled, shoot, wait_until

pytestmark = NEEDS_CHROMIUM
pytest.importorskip("playwright.sync_api",
                    reason="playwright is not installed (requirements-dev.txt)")

PROJECTOR = {"width": 1280, "height": 720}
GRID = ".st-key-presenter-grid [data-testid='stImage'] img"
GRIDS = ".st-key-presenter-grids [data-testid='stImage'] img"
CHART = "[data-testid='stPlotlyChart']"
METRIC = "[data-testid='stMetric']"
PLAYED = 100            # steps the playground plays before its screenshot: curves to show


def new_page(browser, url: str, viewport: dict, scale: float = 1.0):
    page = new_tab(browser, viewport, device_scale_factor=scale)
    page.goto(url)
    return page


def box(page, selector: str) -> dict:
    """The element's bounding box in CSS pixels, relative to the viewport (a live chart is
    briefly not laid out while it redraws: then ask again)."""
    found, boxes = page.locator(selector).first, []

    def laid_out() -> bool:
        found.wait_for()
        boxes.append(found.bounding_box())
        return boxes[-1] is not None
    wait_until(laid_out, timeout=30, what=f"{selector} to be laid out")
    return boxes[-1]


def assert_in_view(page, selector: str, what: str) -> dict:
    viewport = page.viewport_size
    b = box(page, selector)
    print(f"{what} at {viewport['width']}x{viewport['height']}: x={b['x']:.0f} y={b['y']:.0f} "
          f"w={b['width']:.0f} h={b['height']:.0f}")
    assert b["x"] >= 0 and b["y"] >= 0, f"{what} starts outside the viewport: {b}"
    assert b["x"] + b["width"] <= viewport["width"] + 0.5, f"{what} is cut on the right: {b}"
    assert b["y"] + b["height"] <= viewport["height"] + 0.5, f"{what} is below the fold: {b}"
    assert b["width"] > 150 and b["height"] > 150, f"{what} is too small to see: {b}"
    return b


@pytest.fixture(scope="module")
def train_url(browser, server) -> str:
    """A short run started in presenter view (its owner's address, ?present=1 kept)."""
    page = new_page(browser, f"{server}/train?present=1", PROJECTOR)
    for field, value in (("Steps (empty: until stopped)", "400"), ("Batch size", "16")):
        page.get_by_role("spinbutton", name=field).fill(value)
        page.keyboard.press("Enter")
        settled(page)
    page.get_by_role("button", name="Start training").click()
    page.wait_for_selector(GRID)
    page.wait_for_selector(CHART)
    settled(page)
    assert "present=1" in page.url and "run=" in page.url
    url = page.url
    page.context.close()
    return url


@pytest.mark.parametrize("name, viewport, scale", [
    ("train-1280x720", PROJECTOR, 1.0),
    ("train-1280x720@1.5", PROJECTOR, 1.5),
    ("train-1920x1080", {"width": 1920, "height": 1080}, 1.0)])
def test_the_grid_and_the_loss_chart_fit_a_projector(browser, train_url, name, viewport,
                                                     scale):
    page = new_page(browser, train_url, viewport, scale)
    page.wait_for_selector(GRID)
    page.wait_for_selector(CHART)
    settled(page)
    # The settings are in the collapsed New run panel, below the fold.
    assert page.get_by_role("spinbutton", name="Latent size (latent_dim)").count() == 0
    shoot(page, f"presenter-{name}")
    grid = assert_in_view(page, GRID, "grid")
    assert grid["x"] < 50, "the sidebar should be collapsed, the grid at the left edge"
    chart = assert_in_view(page, CHART, "loss chart")
    assert grid["x"] + grid["width"] <= chart["x"], "grid and chart should be side by side"
    ticks = page.locator(f"{CHART} .xtick text").first
    assert float(ticks.evaluate("t => parseFloat(getComputedStyle(t).fontSize)")) >= 18
    page.context.close()


def test_a_phone_watcher_sees_the_grid_on_the_first_screen(browser, train_url):
    watch = re.sub(r"&?(key|present)=[^&]*", "", train_url)      # the plain watch link
    page = new_page(browser, watch, {"width": 390, "height": 844}, 3.0)
    # A watcher's grid comes from the live feed (ui/live_grid.js), once it has a picture.
    image = page.locator(".st-key-presenter-grid img[src]").first
    image.wait_for()
    settled(page)
    shoot(page, "presenter-train-phone-390x844")
    top = image.bounding_box()["y"]
    print(f"phone: grid top at {top:.0f} of 844")
    assert top < 844, f"the grid starts {top:.0f} px down, below the first screen"
    page.context.close()


def test_the_comparison_charts_fit_a_projector(browser, server):
    page = new_page(browser, f"{server}/compare?present=1", PROJECTOR)
    page.get_by_text("At the same time (they share the CPU)").click()
    settled(page)
    page.get_by_role("button", name="Start comparison").click()
    try:
        # Three models build at once: on a busy 2-core machine their first grids take time.
        page.locator(GRIDS).nth(2).wait_for(timeout=180_000)
        page.locator(CHART).nth(1).wait_for()         # (live: its script is always running)
        for index in range(3):
            assert_in_view(page, f"{GRIDS} >> nth={index}", f"grid {index + 1}")
        for index in range(2):
            assert_in_view(page, f"{CHART} >> nth={index}", f"chart {index + 1}")
    finally:
        shoot(page, "presenter-compare-1280x720")      # (before the Stop, also on a failure)
        stop = page.get_by_role("button", name="Stop comparison")
        if stop.count():                               # free the CPU for the next test
            stop.click()
            page.get_by_role("button", name="New comparison").wait_for()
        page.context.close()


def test_the_playground_field_and_loss_chart_fit_a_projector(browser, server):
    page = new_page(browser, f"{server}/playground?present=1", PROJECTOR)
    page.get_by_role("button", name="Play").click()
    page.locator("[data-testid='stVegaLiteChart']").nth(1).wait_for()
    step = page.locator(METRIC, has_text="Step").locator("[data-testid='stMetricValue']")
    wait_until(lambda: int(re.sub(r"\D", "", step.inner_text()) or 0) >= PLAYED,
               what=f"the playground to play {PLAYED} steps")
    page.get_by_role("button", name="Pause").click()
    settled(page)
    shoot(page, "presenter-playground-1280x720")
    assert_in_view(page, "[data-testid='stVegaLiteChart'] >> nth=0", "field")
    assert_in_view(page, "[data-testid='stVegaLiteChart'] >> nth=1", "loss chart")
    page.context.close()
