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

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from ui.pages import PAGES, AppPage

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
# The flags Chromium needs as root in a container with no network to talk to.
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync"]
# The heading a page shows is its menu title, except for these.
HEADINGS = {PAGES.theory: "Theory: from GAN to WGAN-GP"}

pytestmark = pytest.mark.skipif(
    not Path(CHROMIUM).exists(),
    reason="Debian's chromium is not installed (apt-get install chromium); the end-to-end "
           "browser test needs it")
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="playwright is not installed (requirements-dev.txt)")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def app_server(tmp_path_factory, **env: str) -> Iterator[tuple[str, Path]]:
    """A fresh `streamlit run app.py` on a free local port, with the demo models in a
    checkpoint folder of its own and `env` added; (its URL, that folder)."""
    root = tmp_path_factory.mktemp("checkpoints")
    for demo in (ROOT / "checkpoints").glob("*-demo"):
        shutil.copytree(demo, root / demo.name)
    port = free_port()
    log = (tmp_path_factory.mktemp("server") / "streamlit.log").open("w")
    env = {**os.environ, "GANLIB_CHECKPOINTS": str(root), "TF_CPP_MIN_LOG_LEVEL": "3", **env}
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as answer:
                if answer.status == 200:
                    break
        except OSError:
            pass
        assert process.poll() is None and time.monotonic() < deadline, "the app did not start"
        time.sleep(0.5)
    try:
        yield url, root
    finally:
        process.terminate()
        process.wait(30)
        log.close()


@pytest.fixture(scope="module")
def page(server):
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 900})
        page.set_default_timeout(90_000)
        yield page
        browser.close()


def settled(page) -> None:
    """Connected, and the script run (not the fragments' timers) has finished."""
    page.wait_for_selector("[data-testid='stApp'][data-test-connection-state='CONNECTED']")
    page.wait_for_selector("[data-test-script-state='notRunning']", state="attached")


def screenshot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def image_source(page, index: int = 0) -> str:
    return page.locator("[data-testid='stImage'] img").nth(index).get_attribute("src")


def open_page(page, app_page: AppPage) -> None:
    """Click the page's link in the sidebar (the session, and its run, stay) and wait for it."""
    page.locator("[data-testid='stSidebarNav'] a", has_text=app_page.title).first.click()
    page.wait_for_url(f"**/{app_page.url_path}**")
    page.wait_for_selector(f"h1:has-text('{HEADINGS.get(app_page, app_page.title)}')")
    settled(page)


def wait_until(condition, timeout: float = 90.0, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.5)


def drawn_vector(page) -> str:
    """The vector behind the explorer's digit as the browser drew it last (static/gan/explorer.js
    writes it on the canvas)."""
    page.wait_for_function("document.querySelector('canvas.gc-digit')?.dataset.z")
    return page.locator("canvas.gc-digit").get_attribute("data-z")


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
    screenshot(page, "home")

    # Start the GAN demo from Home: the Train page opens and the run trains live.
    page.get_by_role("button", name="Train the GAN article's model").click()
    page.wait_for_url("**/train**")
    page.wait_for_selector("[data-testid='stPlotlyChart']")
    page.wait_for_selector("[data-testid='stImage'] img")
    first_grid, first_chart = image_source(page), chart_drawing(page)
    wait_until(lambda: image_source(page) != first_grid, what="the sample grid to change")
    wait_until(lambda: chart_drawing(page) != first_chart, what="the chart to change")
    screenshot(page, "train")

    # The explorer: moving a latent slider redraws the digit (the browser draws it).
    open_page(page, PAGES.explorer)
    before = drawn_vector(page)
    slider = page.locator(".gc-part input[type='range']").first
    slider.focus()
    for _ in range(20):
        slider.press("ArrowRight")
    wait_until(lambda: drawn_vector(page) != before, timeout=60, what="the digit to change")
    screenshot(page, "explorer")

    for app_page in (PAGES.interpolation, PAGES.models, PAGES.compare, PAGES.playground,
                     PAGES.theory):
        open_page(page, app_page)
        errors = page.locator("[data-testid='stException']").count()
        assert not errors, f"error on {app_page.title}"
        screenshot(page, app_page.url_path)
