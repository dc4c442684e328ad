"""Screenshots of the Compare page's default comparison, run in a real browser as a class sees it.

    .venv/bin/python -m scripts.compare_screenshots

starts `streamlit run app.py` on a free local port (the demo models copied to a temporary
checkpoints folder), opens the Compare page in Debian's Chromium at 1280 x 720, checks that
every setting is at its default (the Quick line-up, one model after another, 60 s each) and
presses Start comparison. It saves the viewport into test-artifacts/screenshots/: before the
start, during the comparison (the second model training) and at the end (the grids, then the
table of final numbers), during and at the end also in presenter view, and prints what the
page showed at the end (the final table). At full length it takes about 4 minutes on 2 idle
cores; run it on a quiet machine, as the page's timing is what it shows.

`--time-scale 0.1` runs the same comparison at a tenth of its length (the server's
GAN_CLASSROOM_COMPARE_TIME_SCALE) to check the script itself; those screenshots are named
`compare-scaled-*`. tests/test_browser_compare.py drives the page with the same functions.
Needs `chromium` (apt-get install chromium) and playwright (requirements-dev.txt).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from ganlib.training.compare import DEFAULT_BUDGET_S
from scripts.app_server import CHROMIUM, CHROMIUM_ARGS, ROOT, AppServer, demo_models, settled

SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
VIEWPORT = {"width": 1280, "height": 720}          # a 720p projector, the smallest screen
GRIDS = "[data-testid='stImage'] img"
TABLE = "[data-testid='stDataFrame']"

Shoot = Callable[[str], None]


def open_compare(page, url: str) -> None:
    """The Compare page, loaded and idle."""
    page.goto(f"{url}/compare")
    page.wait_for_selector("h1:has-text('Compare GAN vs WGAN')")
    settled(page)


def budget_shown(page) -> int:
    """The budget slider's value as the page shows it."""
    return int(page.get_by_role("slider").get_attribute("aria-valuetext"))


def start(page) -> None:
    page.get_by_role("button", name="Start comparison").click()
    page.get_by_role("button", name="Stop comparison").wait_for()


def wait_for_progress(page, model: int, share: float, timeout_s: float) -> None:
    """Until model number `model` (from 0) has trained `share` of its time, by its progress
    bar (outside presenter view)."""
    page.wait_for_function(
        "([model, percent]) => { const bars = document.querySelectorAll("
        "'[data-testid=\"stProgress\"] [role=\"progressbar\"]'); "
        "return bars.length > model && Number(bars[model].getAttribute('aria-valuenow')) "
        ">= percent; }", arg=[model, share * 100], timeout=timeout_s * 1000, polling=500)


def wait_until_finished(page, timeout_s: float) -> None:
    """Until the comparison has ended and the page has drawn its final state."""
    page.get_by_role("button", name="New comparison").wait_for(timeout=timeout_s * 1000)
    settled(page)


def presenter_view(page, on: bool) -> None:
    """Switch presenter view on or off with the sidebar's switch (the comparison stays: it
    belongs to this tab's session, which a reload with ?present=1 would replace)."""
    expand = page.get_by_test_id("stExpandSidebarButton")
    if expand.is_visible():                  # presenter view collapses the sidebar
        expand.click()
    switch = page.get_by_role("switch", name="Presenter view")
    if switch.is_checked() != on:
        page.locator("[data-testid='stSidebar'] label", has_text="Presenter view").click()
    page.wait_for_function("want => (new URLSearchParams(location.search).get('present') "
                           "=== '1') === want", arg=on)
    settled(page)
    collapse = page.get_by_test_id("stSidebarCollapseButton")
    if on and collapse.is_visible():         # the class sees the page, not the menu
        collapse.locator("button").click()
    page.wait_for_timeout(1000)              # the charts' resize


def grid_alts(page) -> list[str]:
    """Each sample grid's text alternative ("36 samples from the GAN generator at step N")."""
    return page.locator(GRIDS).evaluate_all("images => images.map(image => image.alt)")


def final_table(page) -> list[dict[str, str]]:
    """The final numbers as the page shows them, one dict per model (the data grid's
    accessible table: its header cells and its grid cells, row by row)."""
    table = page.locator(TABLE)
    table.scroll_into_view_if_needed()
    headers = table.locator("[role='columnheader']").all_inner_texts()
    rows = table.locator("tbody tr").all()
    return [dict(zip(headers, row.locator("[role='gridcell']").all_inner_texts()))
            for row in rows]


def to_top(page) -> None:
    """Scroll back to the page's title (what a class sees first)."""
    page.locator("h1").first.evaluate("title => title.scrollIntoView()")
    page.wait_for_timeout(300)


def default_comparison(page, url: str, shoot: Shoot, timeout_s: float) -> list[dict[str, str]]:
    """Run the Compare page's default comparison from `url`, calling `shoot(name)` at each
    moment worth a screenshot; the final table."""
    open_compare(page, url)
    if (shown := budget_shown(page)) != DEFAULT_BUDGET_S:    # whatever the time scale
        raise RuntimeError(f"The page offers {shown} s per model, not the default "
                           f"{DEFAULT_BUDGET_S} s: is this the Compare page of this version?")
    shoot("setup")
    start(page)
    wait_for_progress(page, 1, 0.5, timeout_s)   # the GAN is done, the WGAN half way
    shoot("during")
    presenter_view(page, True)
    to_top(page)
    shoot("during-presenter")
    presenter_view(page, False)
    wait_until_finished(page, timeout_s)
    to_top(page)
    shoot("end")
    table = final_table(page)
    shoot("end-table")
    presenter_view(page, True)
    to_top(page)
    shoot("end-presenter")
    presenter_view(page, False)
    return table


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--time-scale", type=float, default=1.0,
                        help="the comparison's length as a share of the real one, to check "
                             "this script quickly (0.1: a tenth) [default: %(default)g]")
    parser.add_argument("--timeout-s", type=float, default=600.0,
                        help="how long the comparison may take [default: %(default)g]")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        print("Debian's chromium is not installed: apt-get install chromium", file=sys.stderr)
        return 1
    from playwright.sync_api import sync_playwright

    prefix = "compare" if args.time_scale == 1 else "compare-scaled"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="compare-screenshots-"))
    try:
        env = {"GAN_CLASSROOM_COMPARE_TIME_SCALE": f"{args.time_scale:g}"}
        with AppServer(demo_models(work / "checkpoints"), work / "server.log", env) as server, \
                sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            page = browser.new_context(viewport=VIEWPORT).new_page()
            page.set_default_timeout(120_000)

            def shoot(name: str) -> None:
                path = SCREENSHOTS / f"{prefix}-{name}.png"
                page.screenshot(path=str(path))
                print(f"{time.monotonic() - started:6.1f} s  {path.relative_to(ROOT)}")

            started = time.monotonic()
            table = default_comparison(page, server.url, shoot, args.timeout_s)
            browser.close()
    finally:
        shutil.rmtree(work, ignore_errors=True)
    for row in table:
        print("  ".join(f"{name}: {value}" for name, value in row.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
