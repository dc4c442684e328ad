from types import SimpleNamespace

import numpy as np
import pytest

import threading
import time

from ganlib.training.compare import (Comparison, TakeTurns, duration_estimate_s, lineup,
                            loss_quality_correlation)
from ganlib.config import make_config
from ganlib.errors import ConfigError


def tiny(algorithm, preset="quick"):
    return make_config(algorithm, preset, batch_size=8, digits=(1, 7))


def test_lineups_train_every_model_on_the_same_data():
    configs = lineup("mode-collapse", digits=(3,))
    assert [c.algorithm for c in configs] == ["gan", "wgan", "wgan-gp"]
    assert {c.digits for c in configs} == {(3,)}
    with pytest.raises(ConfigError, match="same data"):
        Comparison([tiny("gan"), make_config("wgan", "quick")], budget_s=5)
    with pytest.raises(ConfigError, match="mode must be"):
        Comparison([tiny("gan"), tiny("wgan")], budget_s=5, mode="parallel")


def test_a_sequential_comparison_trains_one_run_after_another_for_the_same_budget():
    comparison = Comparison([tiny("gan"), tiny("wgan-gp")], budget_s=1.0, mode="sequential",
                            n_eval_samples=50)
    comparison.start()
    assert comparison.wait(120)
    snap = comparison.snapshot()
    assert snap.status == "finished" and not snap.active
    first, second = snap.runs
    for run in snap.runs:                   # both ended by the same time budget
        assert "time limit of 1 s" in run.message and run.elapsed_s >= 1.0
    # Each run was judged by the same evaluator at the start and at the end.
    for run in snap.runs:
        assert len(run.evaluations["fd"]) >= 2
        assert run.evaluations["fd_baseline"][0] == first.evaluations["fd_baseline"][0]


def test_stopping_a_sequential_comparison_marks_runs_that_never_started():
    comparison = Comparison([tiny("gan"), tiny("wgan")], budget_s=60, mode="sequential",
                            n_eval_samples=50)
    comparison.start()
    assert comparison.runs[0].wait_for(lambda s: s.step >= 1)
    comparison.stop()
    statuses = [run.status for run in comparison.snapshot().runs]
    assert statuses == ["stopped", "stopped"]
    assert not comparison.snapshot().active


def fake_run(algorithm, losses, fds):
    steps = np.arange(1, len(losses) * 10 + 1)
    name = "d_loss" if algorithm == "gan" else "wasserstein"
    return SimpleNamespace(
        config=make_config(algorithm, "quick"),
        history={"step": steps, name: np.repeat(losses, 10)},
        evaluations={"step": np.arange(10, len(losses) * 10 + 1, 10), "fd": np.array(fds)})


def test_the_wasserstein_estimate_tracking_quality_gives_a_correlation_near_one():
    falling = np.linspace(2.0, 0.1, 8)
    assert loss_quality_correlation(fake_run("wgan", falling, falling * 30)) == pytest.approx(1.0)
    assert loss_quality_correlation(fake_run("gan", falling, falling[::-1])) == pytest.approx(-1.0)
    assert loss_quality_correlation(fake_run("wgan", falling[:3], falling[:3])) is None


def test_runs_taking_turns_get_the_same_cpu_time_one_step_at_a_time():
    turns, deadline = TakeTurns(slice_s=0.02), time.monotonic() + 1.0
    inside, overlaps = [], []
    used = {cost: [0, 0.0] for cost in (0.001, 0.002, 0.004)}     # steps, seconds

    def train(cost):
        while time.monotonic() < deadline:
            with turns.turn():
                inside.append(cost)
                overlaps.append(len(inside))
                started = time.perf_counter()
                time.sleep(cost)                                    # a step of this cost
                used[cost][1] += time.perf_counter() - started
                used[cost][0] += 1
                inside.remove(cost)

    threads = [threading.Thread(target=train, args=(cost,)) for cost in used]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert max(overlaps) == 1                                        # one step at a time
    seconds = [s for _, s in used.values()]
    assert max(seconds) < 1.5 * min(seconds)                         # a fair share of time
    steps = [n for n, _ in used.values()]
    assert steps[0] > steps[1] > steps[2]                            # cheap steps: more of them


def test_at_the_same_time_each_run_trains_for_the_budget_times_the_models():
    comparison = Comparison([tiny("gan"), tiny("wgan")], budget_s=1.0, mode="concurrent",
                            n_eval_samples=50)
    assert [run.max_seconds for run in comparison.runs] == [2.0, 2.0]
    assert comparison.snapshot().run_seconds == 2.0
    comparison.start()
    assert comparison.wait(120)
    assert all(run.step > 0 and run.elapsed_s >= 2.0 for run in comparison.snapshot().runs)
    # Either way the whole comparison takes about as long, said before it starts.
    assert duration_estimate_s(2, 60) > 120


def test_a_time_scale_shrinks_the_whole_comparison_for_tests_and_rehearsals():
    comparison = Comparison([tiny("gan"), tiny("wgan")], budget_s=30, mode="concurrent",
                            n_eval_samples=50, time_scale=0.1)
    assert comparison.budget_s == pytest.approx(3.0)
    assert comparison.snapshot().run_seconds == pytest.approx(6.0)
    assert [run.max_seconds for run in comparison.runs] == pytest.approx([6.0, 6.0])
    assert [run.evaluate_every_s for run in comparison.runs] == pytest.approx([0.5, 0.5])
    for scale in (0, -1, 2):
        with pytest.raises(ConfigError, match="time scale must be above 0 and at most 1"):
            Comparison([tiny("gan"), tiny("wgan")], budget_s=30, time_scale=scale)
