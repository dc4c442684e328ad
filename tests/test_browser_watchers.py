"""A class watching the teacher's run in real headless Chromium: the grid and the step move by
themselves, from the live feed (ganlib.server.live_feed, ui/live_grid.js), not by a Streamlit
rerun per update and student, and the pages still follow the run's status and the teacher's
next run. How fast they move is measured by the benchmark (benchmarks/watchers.py), not here.

One server with a teacher passcode; the teacher and two students in browser contexts of
their own: a follower (`?follow=teacher`, there before the teacher starts) and a student on
the run's watch link. Screenshots of a watcher's page: test-artifacts/screenshots/watcher-*.png.

Same launch pattern as tests/test_browser.py (Debian's chromium, skipped without it).
"""

from __future__ import annotations

import importlib.util
import re

import pytest

from benchmarks.watchers import CURRENT_LIVE_GRID, RECORDER    # what the benchmark reads, too
from tests.helpers import (NEEDS_CHROMIUM, TEACHER_PASSCODE, demo_app, new_tab,
                           serious_violations, shoot, sign_in_as_teacher, wait_until)

pytestmark = NEEDS_CHROMIUM
pytest.importorskip("playwright.sync_api",
                    reason="playwright is not installed (requirements-dev.txt)")

LIVE = f".st-key-presenter-grid {CURRENT_LIVE_GRID}"
# Step changes a watcher sees from the live feed while the test counts the messages its
# page sends to Streamlit: a page redrawn by reruns would send one per change at least.
CHANGES = 8


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with demo_app(tmp_path_factory.mktemp("watchers"),
                  GAN_CLASSROOM_TEACHER_PASSCODE=TEACHER_PASSCODE) as app:
        yield app.url


def new_page(browser, viewport: dict | None = None):
    return new_tab(browser, viewport or {"width": 1280, "height": 720})


def run_id(url: str) -> str:
    return re.search(r"run=(run-[0-9a-f]+)", url).group(1)


def wait_for_status(page, status: str) -> None:
    """Until the run's status badge ("<icon> paused") shows `status` on `page`."""
    page.get_by_text(re.compile(rf"^\w+ {status}$")).first.wait_for()


def changes_seen(page) -> dict[str, int]:
    """How often the live grid's step and picture changed since the recorder was installed
    (its first reading counts as one)."""
    return {what: len(times) for what, times in page.evaluate("() => window.__watch").items()}


def test_a_class_watches_the_teachers_runs_from_the_live_feed(browser, server):
    teacher = new_page(browser, {"width": 1400, "height": 900})
    sign_in_as_teacher(teacher, server)

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
    shoot(watcher, "watcher-1280x720")

    # The grid and the step move by themselves, from the live feed: while the step changes
    # CHANGES times the page hardly talks to Streamlit (its fragment runs every ten seconds;
    # a message or two more are the component's and Streamlit's own).
    watcher.evaluate(RECORDER)
    before = len(sent)
    wait_until(lambda: changes_seen(watcher)["steps"] > CHANGES
               and changes_seen(watcher)["grids"] > 2,
               what=f"the watcher's step to change {CHANGES} times and its grid twice")
    messages = len(sent) - before
    assert messages < CHANGES, (f"the watcher's page asked Streamlit {messages} times while "
                                f"its step changed {CHANGES} times: it is redrawn by reruns")

    phone = new_page(browser, {"width": 390, "height": 844})
    phone.goto(f"{server}/train?run={first}")
    phone.locator(f"{LIVE} img[src]").wait_for()
    assert phone.locator(f"{LIVE} img").bounding_box()["y"] < 844
    shoot(phone, "watcher-phone-390x844")
    phone.context.close()

    # In Vietnamese: the browser fills the translated caption and alt text with the step in
    # the page's number format (1.234, once the run is past step 1,000), and axe finds
    # nothing serious on the watcher's page.
    vietnamese = new_page(browser)
    vietnamese.goto(f"{server}/train?run={first}&lang=vi")
    vietnamese.locator(f"{LIVE} img[src]").wait_for()
    caption = vietnamese.locator(f"{LIVE} figcaption")

    def step_shown() -> str:
        return re.search(r"\d[\d.,]*", caption.inner_text())[0]
    wait_until(lambda: len(re.sub(r"\D", "", step_shown())) > 3,
               what="the caption to show a step past 1,000")
    assert re.fullmatch(r"\d{1,3}(\.\d{3})+", step_shown()), step_shown()
    assert "bước" in vietnamese.locator(f"{LIVE} img").get_attribute("alt")
    shoot(vietnamese, "watcher-vi-1280x720")
    if importlib.util.find_spec("axe_playwright_python"):     # requirements-dev.txt
        assert not serious_violations(vietnamese)
    vietnamese.context.close()

    # The teacher pauses, then stops: each page follows by itself, without a page refresh.
    teacher.get_by_role("button", name="Pause").click()
    wait_for_status(watcher, "paused")
    teacher.get_by_role("button", name="Resume").wait_for()
    teacher.get_by_role("button", name="Stop").click()
    wait_for_status(watcher, "stopped")
    wait_for_status(follower, "stopped")

    # The teacher's next run: the follower switches to it by itself; the watcher stays.
    teacher.goto(server)
    teacher.get_by_role("button", name=re.compile("Train the WGAN article")).click()
    teacher.get_by_role("button", name="Pause").wait_for()
    second = run_id(teacher.url)
    follower.wait_for_url(re.compile(f"run={second}"))
    follower.locator(f"{LIVE} img[src]").wait_for()
    assert run_id(watcher.url) == first
    teacher.get_by_role("button", name="Stop").click()
    for page in (teacher, follower, watcher):
        page.context.close()
