"""The Compare page, driven through AppTest with a tiny real comparison."""

import pytest

import numpy as np

from ganlib import settings
from ganlib.config import make_config
from ganlib.data import load_dataset
from ganlib.server.classroom import Role
from ganlib.training import compare
from ganlib.training.compare import Comparison, ComparisonSnapshot, duration_estimate_s
from ganlib.training.core import RunSnapshot
from tests.helpers import FakeRun
from ui import state
from ui.pages import PAGES
from ui.widgets import format_duration
from tests.test_i18n import DOT_DECIMAL

pytestmark = pytest.mark.usefixtures("fresh_registry")


def test_the_setup_offers_lineups_modes_and_a_budget_and_start_registers_a_comparison(
        open_app, monkeypatch):
    monkeypatch.setattr(compare, "_last_slowdown", None)      # no comparison measured yet
    at = open_app(PAGES.compare)
    assert at.radio(key="compare-lineup").value == "quick"
    assert len(at.radio(key="compare-lineup").options) == 2
    assert at.radio(key="compare-mode").value == "sequential"
    # Before starting, it says how long the whole comparison takes: 3 x 60 s of training,
    # building the models and judging them every 5 s, on an idle machine until one measured.
    assert any(f"whole comparison takes about {format_duration(duration_estimate_s(3, 60))}"
               in c.value and "once it runs" in c.value for c in at.caption)
    assert 200 < duration_estimate_s(3, 60) < 245
    monkeypatch.setattr(compare, "_last_slowdown", 1.25)      # the last one took 25 % longer
    at.run()
    assert any(format_duration(duration_estimate_s(3, 60, slowdown=1.25)) in c.value
               and "1.2 ×" in c.value for c in at.caption)
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
    assert (table["steps"] != "0").all() and (table["Fréchet distance"] != "—").all()
    # A second of training is far too short to say whether a loss tracks quality.
    assert list(table["loss ↔ FD correlation"]) == ["inconclusive", "inconclusive"]
    (note,) = [i.value for i in at.info]
    assert "too short to tell" in note and "**GAN**" in note and "**WGAN (clipping)**" in note
    assert len(at.get("plotly_chart")) == 4
    assert len(at.get("image")) == 2
    assert any(b.label == "New comparison" for b in at.button)


class MadeUpComparison:
    """A comparison that already ended, as `snapshot` says: the page's view of any outcome,
    without training it."""

    def __init__(self, snapshot: ComparisonSnapshot):
        self.run_id, self._snapshot, self.unwatched_s = snapshot.run_id, snapshot, 0.0
        self.runs = [FakeRun(run.run_id) for run in snapshot.runs]
        for fake, run in zip(self.runs, snapshot.runs):
            fake.snap = run                                    # each says what it trained

    def start(self, paused=False):
        return self

    def stop(self, timeout=None):
        pass

    def snapshot(self, watch=True):
        return self._snapshot


def judged_run(algorithm, steps, evaluations):
    """A finished run of `steps` steps judged `evaluations` times, evenly: its loss signal and
    its Fréchet distance both fall from the first evaluation on."""
    step = np.arange(1, steps + 1)
    judged = np.linspace(steps / evaluations, steps, evaluations).astype(int)
    signal = "d_loss" if algorithm == "gan" else "wasserstein"
    run = RunSnapshot.initial(f"run-{algorithm}", make_config(algorithm, "quick"),
                              load_dataset("mnist-10k"))
    return RunSnapshot(**{**run.__dict__, "status": "finished", "step": steps,
                          "elapsed_s": 60.0, "steps_per_s": steps / 60.0,
                          "samples": np.zeros((16, 28, 28, 1), np.float32),
                          "samples_step": steps,
                          "history": {"step": step, "time": step * 60.0 / steps,
                                      signal: np.linspace(3.0, 1.0, steps)},
                          "evaluations": {"step": judged, "time": judged * 60.0 / steps,
                                          "fd": np.linspace(80.0, 13.24, evaluations),
                                          "fd_baseline": np.full(evaluations, 6.9),
                                          "classes_covered": np.full(evaluations, 10.0),
                                          "class_kl": np.full(evaluations, 0.123),
                                          "confident": np.full(evaluations, 0.9)}})


@pytest.mark.parametrize("language, inconclusive, verdict, counts", [
    ("en", "inconclusive", "too short to tell", "**GAN**: 300 steps, 0 evaluations after step 600"),
    ("vi", "chưa kết luận được", "quá ngắn để kết luận",
     "**GAN**: 300 bước, 0 lần đánh giá sau bước 600"),
])
def test_a_model_starved_of_steps_gets_no_correlation_but_the_reason(
        open_app, language, inconclusive, verdict, counts):
    # Under load the GAN made 300 steps in its minute; the WGAN 2,000 steps, judged 20 times.
    snapshot = ComparisonSnapshot("cmp-made-up", "sequential", 60.0,
                                  (judged_run("gan", 300, 12), judged_run("wgan", 2000, 20)),
                                  wall_s=150.0)
    state.registry().start(lambda: MadeUpComparison(snapshot))
    at = open_app(PAGES.compare, query={"lang": language},
                  session={"compare_id": snapshot.run_id})
    correlations = list(at.dataframe[0].value.iloc[:, -1])
    assert correlations == [inconclusive, "1,00" if language == "vi" else "1.00"]
    notes = [i.value for i in at.info]
    assert len(notes) == 1 and verdict in notes[0] and counts in notes[0]
    assert "WGAN" not in notes[0]                           # its number stands
    if language == "vi":     # B: every number of the table as Vietnamese writes it
        cells = [str(c) for c in at.dataframe[0].value.to_numpy().ravel()]
        assert {"13,2", "2.000", "33,3", "0,12", "90%"} <= set(cells)
        assert not [c for c in cells if DOT_DECIMAL.search(c)]
        assert all('"separators":",."' in c.proto.spec.replace(" ", "")
                   for c in at.get("plotly_chart"))
