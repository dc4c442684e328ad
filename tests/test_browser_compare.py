"""The Compare page's default comparison, end to end in a real headless Chromium.

A teacher opens the Compare page, leaves every setting at its default (the Quick line-up,
one model after another, 60 s each) and presses Start comparison. The server here runs at
a tenth of the page's clock (GAN_CLASSROOM_COMPARE_TIME_SCALE=0.1: 6 s per model, judged
every 0.5 s of training instead of 5), so the whole comparison takes well under a minute;
the page still offers the real 60 s and says that this server shortens it. At the end the
teacher sees every model's sample grid, the table of final numbers with the loss ↔ FD rank
correlation of every model, and nothing still running. The page is driven by the functions
of scripts/compare_screenshots.py (which runs the same comparison at full length); the
screenshots go to test-artifacts/screenshots/compare-test-*.png.
"""

from __future__ import annotations

import re

import pytest

from ganlib.training.compare import DEFAULT_BUDGET_S
from scripts.compare_screenshots import (VIEWPORT, budget_shown, default_comparison, grid_alts,
                                         open_compare)
from tests.helpers import NEEDS_CHROMIUM, demo_app, new_tab, script_runs_during, settled, shoot

pytestmark = NEEDS_CHROMIUM
pytest.importorskip("playwright.sync_api",
                    reason="playwright is not installed (requirements-dev.txt)")

SCALE = "0.1"
MODELS = ("GAN", "WGAN", "WGAN-GP")                 # the Quick line-up, in the page's order


@pytest.fixture(scope="module")
def scaled_server(tmp_path_factory):
    with demo_app(tmp_path_factory.mktemp("compare"),
                  GAN_CLASSROOM_COMPARE_TIME_SCALE=SCALE) as app:
        yield app.url


@pytest.fixture(scope="module")
def page(browser):
    page = new_tab(browser, VIEWPORT, timeout_s=120)
    yield page
    page.context.close()


def test_the_page_offers_the_real_default_and_says_this_server_shortens_it(page,
                                                                           scaled_server):
    open_compare(page, scaled_server)
    assert budget_shown(page) == DEFAULT_BUDGET_S == 60
    notice = page.locator("[data-testid='stAlert']", has_text="shortens every comparison")
    assert "to 10% of the time chosen" in notice.inner_text()
    assert "each model trains 6 s, not 60 s" in notice.inner_text()
    assert page.get_by_text(re.compile(r"3 models × 6 s of training")).count() == 1


def test_the_default_comparison_ends_with_every_grid_the_table_and_nothing_running(
        page, scaled_server):
    table = default_comparison(page, scaled_server,
                               lambda name: shoot(page, f"compare-test-{name}"), timeout_s=300)

    # Every model's sample grid, each from its own generator, at the step it ended on.
    alts = grid_alts(page)
    assert len(alts) == len(MODELS)
    for alt, model in zip(alts, MODELS):
        assert re.fullmatch(rf"36 samples from the {model} generator at step \d+", alt), alt

    # The table of final numbers: a finished row per model, scored, with its correlation.
    assert [row["model"].split(" ")[0] for row in table] == list(MODELS)
    for row in table:
        assert row["status"] == "finished", row
        assert int(row["steps"].replace(",", "")) > 0, row
        assert float(row["FD"]) > float(row["real FD"]) > 0, row
        assert 0 <= int(row["classes"]) <= 10, row
        # Six seconds a model is too short for a correlation that means something (at least
        # 1,000 steps and 8 evaluations after the critic's warm-up): the cell says so.
        correlation = row["loss ↔ FD"]
        assert correlation == "inconclusive" or -1 <= float(correlation) <= 1, row

    # Nothing left running: no Stop button, every model at its (shortened) time limit,
    # and the page no longer redraws itself (a live one reruns every second).
    assert page.get_by_role("button", name="Stop comparison").count() == 0
    assert page.get_by_text("6 / 6 s, step").count() == len(MODELS)
    settled(page)
    assert script_runs_during(page, seconds=3) == 0

    # A chart's title stays readable under the pointer: no Plotly tool bar comes over it.
    chart = page.locator(".stPlotlyChart").first
    chart.scroll_into_view_if_needed()
    chart.hover()
    settled(page)
    shoot(page, "compare-test-chart-hover")
    assert page.locator(".stPlotlyChart .modebar").count() == 0

    # ...and the server's list of runs says the same (this module's server has no other).
    page.locator("[data-testid='stSidebarNav'] a", has_text="Runs on this server").click()
    row = page.locator("[data-testid='stMarkdownContainer']", has_text="Comparison of 3 models")
    row.wait_for()
    settled(page)
    assert " · finished · " in row.inner_text()
    assert page.get_by_role("button", name="Stop", exact=True).count() == 0
    shoot(page, "compare-test-runs")
