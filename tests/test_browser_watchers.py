"""A class watching the teacher's run in real headless Chromium: the grid and the step move
every second from the live feed (ganlib.server.live_feed, ui/live_grid.js) without a Streamlit rerun
a second per student, and the pages still follow the run's status and the teacher's next run.

One server with a teacher passcode; the teacher and two students in browser contexts of
their own: a follower (`?follow=teacher`, there before the teacher starts) and a student on
the run's watch link. Screenshots of a watcher's page: test-artifacts/screenshots/watcher-*.png.

Same launch pattern as tests/test_browser.py (Debian's chromium, skipped without it).
"""

from __future__ import annotations

import importlib.util
import os
import re
import time

import pytest

from benchmarks.watchers import LIVE_GRID, RECORDER    # what the benchmark reads, too
from tests.test_browser import CHROMIUM, SCREENSHOTS, app_server
from tests.test_browser_classroom import PASSCODE

pytestmark = pytest.mark.skipif(not os.path.exists(CHROMIUM),
                                reason="Debian's chromium is not installed")
sync_api = pytest.importorskip("playwright.sync_api",
                               reason="playwright is not installed (requirements-dev.txt)")

LIVE = f".st-key-presenter-grid {LIVE_GRID}"
WINDOW_S = 8.0


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with app_server(tmp_path_factory, GAN_CLASSROOM_TEACHER_PASSCODE=PASSCODE) as (url, _):
        yield url


def new_page(browser, viewport: dict | None = None):
    page = browser.new_context(viewport=viewport or {"width": 1280, "height": 720}).new_page()
    page.set_default_timeout(90_000)
    return page


def run_id(url: str) -> str:
    return re.search(r"run=(run-[0-9a-f]+)", url).group(1)


def wait_for_status(page, status: str, timeout_s: float) -> float:
    """Seconds until the run's status badge ("<icon> paused") shows `status` on `page`."""
    started = time.monotonic()
    page.get_by_text(re.compile(rf"^\w+ {status}$")).first.wait_for(timeout=timeout_s * 1000)
    return time.monotonic() - started


def test_a_class_watches_the_teachers_runs_from_the_live_feed(browser, server):
    teacher = new_page(browser, {"width": 1400, "height": 900})
    teacher.goto(server)
    teacher.get_by_text("Teacher sign-in").click()
    teacher.get_by_label("Teacher passcode").fill(PASSCODE)
    teacher.get_by_role("button", name="Sign in").click()
    teacher.get_by_text("Signed in as the teacher").wait_for()

    follower = new_page(browser)
    follower.goto(f"{server}/train?follow=teacher")
    follower.get_by_text("Following the teacher").wait_for()

    teacher.get_by_role("button", name=re.compile("Train the GAN article")).click()
    teacher.get_by_role("button", name="Pause").wait_for()
    first = run_id(teacher.url)
    follower.wait_for_url(re.compile(f"run={first}"))          # switched without a reload
    follower.locator(LIVE).wait_for()

    watcher = new_page(browser)
    sent = []                                  # what the watcher's browser tells the server
    watcher.on("websocket", lambda ws: ws.on("framesent", lambda frame: sent.append(frame)))
    watcher.goto(f"{server}/train?run={first}")
    watcher.locator(f"{LIVE} img[src]").wait_for()
    image = watcher.locator(f"{LIVE} img")
    assert re.fullmatch(r"64 samples from the generator at step [\d,]+", image.get_attribute("alt"))
    assert re.fullmatch(r"Step [\d,]+: the same z every time.*",
                        watcher.locator(f"{LIVE} figcaption").inner_text())
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    watcher.screenshot(path=str(SCREENSHOTS / "watcher-1280x720.png"))

    # One window: the grid and the step move every second; the page's script hardly runs.
    watcher.wait_for_timeout(2000)
    watcher.evaluate(RECORDER)
    before = len(sent)
    watcher.wait_for_timeout(WINDOW_S * 1000)
    record = watcher.evaluate("() => window.__watch")
    messages = len(sent) - before
    gaps = {what: [(b - a) / 1e3 for a, b in zip(times, times[1:])]
            for what, times in record.items()}
    print(f"in {WINDOW_S:.0f} s: {len(record['steps'])} steps, {len(record['grids'])} grids, "
          f"longest gaps {max(gaps['steps'], default=None)} / {max(gaps['grids'], default=None)}"
          f" s; {messages} messages from the browser to Streamlit")
    # About one a second; a loaded machine (training, the browsers and the server share two
    # cores here) delays a poll now and then.
    assert len(record["steps"]) >= 0.75 * WINDOW_S and max(gaps["steps"]) <= 2.5
    assert len(record["grids"]) >= 0.5 * WINDOW_S and max(gaps["grids"]) <= 3.0
    # A fragment refreshed every second would ask eight times; every ten seconds, at most once
    # (a message or two more: the component's, Streamlit's own).
    assert messages <= 3, f"the watcher's page asked Streamlit {messages} times in {WINDOW_S} s"

    phone = new_page(browser, {"width": 390, "height": 844})
    phone.goto(f"{server}/train?run={first}")
    phone.locator(f"{LIVE} img[src]").wait_for()
    assert phone.locator(f"{LIVE} img").bounding_box()["y"] < 844
    phone.screenshot(path=str(SCREENSHOTS / "watcher-phone-390x844.png"))
    phone.context.close()

    # In Vietnamese: the browser fills the translated caption and alt text with the step in
    # the page's number format (1.234; the run is past step 1,000 by now), and axe finds
    # nothing serious on the watcher's page.
    vietnamese = new_page(browser)
    vietnamese.goto(f"{server}/train?run={first}&lang=vi")
    vietnamese.locator(f"{LIVE} img[src]").wait_for()
    number = re.search(r"\d[\d.,]*", vietnamese.locator(f"{LIVE} figcaption").inner_text())[0]
    assert re.fullmatch(r"\d{1,3}(\.\d{3})*", number), number
    assert "bước" in vietnamese.locator(f"{LIVE} img").get_attribute("alt")
    vietnamese.screenshot(path=str(SCREENSHOTS / "watcher-vi-1280x720.png"))
    if importlib.util.find_spec("axe_playwright_python"):     # requirements-dev.txt
        from tests.test_browser_i18n import serious_violations
        assert not serious_violations(vietnamese)
    vietnamese.context.close()


    # The teacher pauses, then stops: each page follows within a poll, not a page refresh.
    teacher.get_by_role("button", name="Pause").click()
    print(f"paused shown after {wait_for_status(watcher, 'paused', 4.5):.1f} s")
    teacher.get_by_role("button", name="Resume").wait_for()
    teacher.get_by_role("button", name="Stop").click()
    print(f"stopped shown after {wait_for_status(watcher, 'stopped', 4.5):.1f} s")
    wait_for_status(follower, "stopped", 4.5)

    # The teacher's next run: the follower switches to it by itself; the watcher stays.
    teacher.goto(server)
    teacher.get_by_role("button", name=re.compile("Train the WGAN article")).click()
    teacher.get_by_role("button", name="Pause").wait_for()
    second = run_id(teacher.url)
    started = time.monotonic()
    follower.wait_for_url(re.compile(f"run={second}"), timeout=10_000)
    print(f"the follower switched after {time.monotonic() - started:.1f} s")
    follower.locator(f"{LIVE} img[src]").wait_for()
    assert run_id(watcher.url) == first
    teacher.get_by_role("button", name="Stop").click()
    for page in (teacher, follower, watcher):
        page.context.close()
