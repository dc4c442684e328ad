"""The lesson flow in a real headless Chromium: what a class sees on a 1280x720 projector.

The digit of the Latent explorer stays on screen while a slider far down the page moves; the
explorer's address, pasted into a fresh browser, reopens the same digit (same pixels, those
the server would draw); a Theory "try it" link lands on a page set up as its text says. Screenshots of the explorer
and the interpolation at 1280x720 and 1920x1080 go to test-artifacts/screenshots/lesson-*.png
(look at them). Needs Debian's chromium, like tests/test_browser.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from ganlib.images import image_grid
from ganlib.sampling import Sampler
from tests.helpers import (NEEDS_CHROMIUM, ROOT, address, canvas_pixels, drawn_vector, new_tab,
                           settled, shoot, wait_until)
from ui.pages import PAGES

pytest.importorskip("playwright.sync_api",
                    reason="playwright is not installed (requirements-dev.txt)")
pytestmark = NEEDS_CHROMIUM

MODEL = "gan-quick-demo"
SMALL, LARGE = {"width": 1280, "height": 720}, {"width": 1920, "height": 1080}


@pytest.fixture
def open_url(browser):
    """open_url(url, viewport): a page in a fresh context (a new Streamlit session)."""
    pages = []

    def open_(url: str, viewport: dict = SMALL):
        page = new_tab(browser, viewport)
        pages.append(page)
        page.goto(url)
        page.wait_for_selector("h1")
        settled(page)
        if "/explorer" in url or "/interpolation" in url:      # drawn, not placeholders
            page.wait_for_selector("[data-testid='stImage'] img")
            page.get_by_role("button", name="7", exact=True).wait_for()
            settled(page)
        return page

    yield open_
    for page in pages:
        page.context.close()


def digit(page):
    """The explorer's digit, drawn in the browser (a canvas once it holds a digit)."""
    drawn_vector(page)
    return page.locator("canvas.gc-digit")


def pixels(page) -> np.ndarray:
    """The digit's pixels, as the browser drew them."""
    return canvas_pixels(page, "canvas.gc-digit")


def scroll(page, pixels: int) -> None:
    """Scroll the page (the pointer over the page, not the menu) as a reader would, and wait
    until it has moved (Streamlit's main area is what scrolls)."""
    main = page.locator("[data-testid='stMain']")
    before = main.evaluate("element => element.scrollTop")
    page.mouse.move(SMALL["width"] * 0.6, SMALL["height"] * 0.6)
    page.mouse.wheel(0, pixels)
    wait_until(lambda: main.evaluate("element => element.scrollTop") != before, timeout=30,
               what="the page to scroll")


def move(page, label: str, presses: int) -> None:
    """Press → on the slider `label` (scrolled into view as a user would) and wait."""
    before = drawn_vector(page)
    slider = page.get_by_label(label, exact=True)
    slider.scroll_into_view_if_needed()
    slider.focus()
    for _ in range(presses):
        slider.press("ArrowRight")
    wait_until(lambda: drawn_vector(page) != before, timeout=60,
               what=f"the digit to change after moving {label}")


def test_the_digit_stays_in_view_while_sliders_far_down_move(server, open_url):
    page = open_url(f"{server}/{PAGES.explorer.url_path}?model={MODEL}")
    shoot(page, "lesson-explorer-1280x720")
    for label in ("More like 8", "Direction 5", "z[7]"):
        move(page, label, 20)
        box = digit(page).bounding_box()
        assert box["y"] >= 0 and box["y"] + box["height"] <= SMALL["height"], \
            f"the digit left the screen while {label} moved: {box}"
    shoot(page, "lesson-explorer-1280x720-scrolled")


def test_a_shared_explorer_link_reopens_the_same_digit(server, open_url):
    """The browser tells the server where its sliders rest; the address then holds the same
    z, and a fresh browser draws the same pixels from it, those the server would draw."""
    page = open_url(f"{server}/{PAGES.explorer.url_path}?model={MODEL}&seed=7")
    for label in ("More like 3", "Direction 2", "z[1]"):
        move(page, label, 13)
    wait_until(lambda: all(f"{name}=" in address(page) for name in ("like", "pc", "z")),
               timeout=60, what="the address to hold the sliders")
    shared, vector, drawn = address(page), drawn_vector(page), pixels(page)
    assert "seed=7" in shared
    again = open_url(shared)
    assert drawn_vector(again) == vector
    np.testing.assert_array_equal(pixels(again), drawn)
    assert address(again) == shared
    z = np.array(vector.split(","), np.float32)
    server_drawn = image_grid(Sampler.from_checkpoint(ROOT / "checkpoints" / MODEL).generate(z),
                              scale=10)
    assert np.abs(drawn.astype(int) - server_drawn.astype(int)).max() <= 1


def test_the_explorer_and_interpolation_at_two_screen_sizes(server, open_url):
    for viewport in (SMALL, LARGE):
        size = f"{viewport['width']}x{viewport['height']}"
        page = open_url(f"{server}/{PAGES.explorer.url_path}?model={MODEL}&seed=3", viewport)
        if viewport is LARGE:
            shoot(page, f"lesson-explorer-{size}")
        scroll(page, 900)
        shoot(page, f"lesson-explorer-{size}-walk")
        page = open_url(f"{server}/{PAGES.interpolation.url_path}?model={MODEL}"
                        f"&seeds=3,17,42", viewport)
        shoot(page, f"lesson-interpolation-{size}")
        scroll(page, 700)
        shoot(page, f"lesson-interpolation-{size}-animations")
        assert not page.locator("[data-testid='stException']").count()


@pytest.mark.parametrize("link, page_path, fields, radio", [
    ("Train the GAN article's model", PAGES.train,
     {"Algorithm": "GAN (binary cross-entropy)", "Preset": "article"}, None),
    ("Try the minimax generator loss", PAGES.train,
     {"Preset": "quick", "Generator loss": "minimax"}, None),
    ("GAN · mode-collapse on the Compare page", PAGES.compare, {}, "Mode collapse"),
    ("2D playground: ring + GAN", PAGES.playground,
     {"Real data": "Ring of 8 blobs", "Algorithm": "GAN", "G updates per step": "3"}, None),
])
def test_a_try_it_link_lands_on_the_page_set_up_as_described(server, open_url, link,
                                                                page_path, fields, radio):
    page = open_url(f"{server}/{PAGES.theory.url_path}")
    page.locator("[data-testid='stPageLink'] a", has_text=link).first.click()
    page.wait_for_url(f"**/{page_path.url_path}**")
    page.wait_for_selector("h1")
    settled(page)
    for label, value in fields.items():        # select boxes and number fields
        assert page.get_by_label(label, exact=True).first.input_value() == value, label
    if radio:
        assert page.get_by_role("radio", name=radio).is_checked()
    assert "algorithm=" not in page.url and "lineup=" not in page.url   # applied once
    shoot(page, f"lesson-try-it-{page_path.url_path}")
