"""The Compare page, driven through AppTest with a tiny real comparison."""

import pytest

from ganlib import settings
from ganlib.config import make_config
from ganlib.server.classroom import Role
from ganlib.training.compare import Comparison
from ui import state
from ui.pages import PAGES

pytestmark = pytest.mark.usefixtures("fresh_registry")


def test_the_setup_offers_lineups_modes_and_a_budget_and_start_registers_a_comparison(
        open_app):
    at = open_app(PAGES.compare)
    assert at.radio(key="compare-lineup").value == "quick"
    assert len(at.radio(key="compare-lineup").options) == 2
    assert at.radio(key="compare-mode").value == "sequential"
    # Before starting, it says how long the whole comparison takes: 3 x (60 s + 5 % + 2 s).
    assert any("whole comparison takes about 3:15" in c.value for c in at.caption)
    at.slider(key="compare-budget").set_value(30)                  # the least it offers
    at.button[0].click().run()
    comparison = state.registry().get(at.session_state["compare_id"])
    assert isinstance(comparison, Comparison)
    assert [r.config.algorithm for r in comparison.runs] == ["gan", "wgan", "wgan-gp"]
    assert comparison.budget_s == 30
    # Started as every job of this browser is (ui.state.start_job): owned, pausing unwatched.
    assert state.registry().owner(comparison.run_id).role is Role.SOLO
    assert all(r.pause_when_unwatched_s == settings.get().idle_pause_s for r in comparison.runs)
    assert any(b.label == "Stop comparison" for b in at.button)


def test_a_finished_comparison_shows_charts_grids_and_the_table_of_final_numbers(open_app):
    configs = [make_config(a, "quick", batch_size=8) for a in ("gan", "wgan")]
    comparison, _ = state.registry().start(
        lambda: Comparison(configs, budget_s=1.0, mode="concurrent", n_eval_samples=50))
    assert comparison.wait(120)
    at = open_app(PAGES.compare, session={"compare_id": comparison.run_id})
    table = at.dataframe[0].value
    assert list(table["model"].str.split(" ").str[0]) == ["GAN", "WGAN"]
    assert (table["steps"] > 0).all() and table["Fréchet distance"].notna().all()
    assert len(at.get("plotly_chart")) == 4
    assert len(at.get("image")) == 2
    assert any(b.label == "New comparison" for b in at.button)
