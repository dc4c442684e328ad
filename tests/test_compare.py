from types import SimpleNamespace

import numpy as np
import pytest

import threading
import time

from ganlib.training import compare
from ganlib.training.compare import (BUILD_S, CORRELATION_WARMUP_STEPS, MIN_CORRELATION_STEPS,
                                     Comparison, ComparisonSnapshot, TakeTurns,
                                     duration_estimate_s, lineup, loss_quality_correlation,
                                     measured_slowdown)
from ganlib.data import load_dataset
from ganlib.training.core import RunSnapshot
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


def test_a_sequential_comparison_trains_one_run_after_another_for_the_same_budget(
        monkeypatch):
    monkeypatch.setattr(compare, "_last_slowdown", None)
    comparison = Comparison([tiny("gan"), tiny("wgan-gp")], budget_s=1.0, mode="sequential",
                            n_eval_samples=50)
    comparison.start()
    assert comparison.wait(120)
    snap = comparison.snapshot()
    # What it took, over its idle estimate, is the next estimate's measure of this machine.
    # (At least 1: tiny models built in no time beat the estimate's 4 s per model.)
    assert snap.wall_s > 2.0 and measured_slowdown() == pytest.approx(
        max(1.0, snap.wall_s / snap.idle_total_s))
    assert duration_estimate_s(2, 1.0) == pytest.approx(max(snap.wall_s, snap.idle_total_s),
                                                        rel=0.01)
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


def fake_run(algorithm, losses, fds, steps_between=100):
    """A made-up run judged after every `steps_between` steps, its loss signal constant
    between two evaluations."""
    steps = np.arange(1, len(losses) * steps_between + 1)
    name = "d_loss" if algorithm == "gan" else "wasserstein"
    return SimpleNamespace(
        config=make_config(algorithm, "quick"), step=int(steps[-1]),
        history={"step": steps, name: np.repeat(losses, steps_between)},
        evaluations={"step": np.arange(steps_between, len(losses) * steps_between + 1,
                                       steps_between), "fd": np.array(fds)})


def test_the_wasserstein_estimate_tracking_quality_gives_a_correlation_near_one():
    # As measured: while the critic catches up (600 steps), its estimate rises as the samples
    # improve; then it falls with the Fréchet distance. The warm-up is left out.
    warmup = CORRELATION_WARMUP_STEPS // 100
    estimate = np.concatenate([np.linspace(0.1, 3.0, warmup), np.linspace(2.9, 1.0, 8)])
    fd = np.linspace(60, 10, warmup + 8)
    tracked = loss_quality_correlation(fake_run("wgan", estimate, fd))
    assert tracked.conclusive and tracked.rho == pytest.approx(1.0)
    assert tracked.evaluations == 8 and tracked.steps == 1400
    assert loss_quality_correlation(fake_run("gan", estimate, fd[::-1])).rho == \
        pytest.approx(-1.0)


def test_a_run_too_short_for_a_verdict_gets_no_correlation_and_says_why():
    # The lecturer's WGAN under load: 556 steps in its minute, judged every 46 steps: all of
    # it in the critic's warm-up.
    rising = np.linspace(0.1, 3.0, 12)
    starved = loss_quality_correlation(fake_run("wgan", rising, rising[::-1],
                                                steps_between=46))
    assert starved.rho is None and starved.too_short
    assert (starved.steps, starved.evaluations) == (552, 0)
    # Enough steps, too few evaluations after the warm-up.
    few = loss_quality_correlation(fake_run("wgan", rising[:3], rising[:3], steps_between=400))
    assert few.rho is None and few.too_short and few.evaluations == 2
    assert few.steps >= MIN_CORRELATION_STEPS
    # Long enough but flat: no verdict either, though not for being short.
    flat = loss_quality_correlation(fake_run("wgan", np.ones(14), np.linspace(60, 10, 14)))
    assert flat.rho is None and not flat.too_short
    # A run that has not trained yet.
    empty = SimpleNamespace(config=make_config("wgan", "quick"), step=0, history={},
                            evaluations={})
    assert loss_quality_correlation(empty).evaluations == 0


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


def made_up_run(algorithm, status, elapsed_s, evaluations):
    """A snapshot of a run `elapsed_s` seconds into its training, judged `evaluations` times."""
    run = RunSnapshot.initial(f"run-{algorithm}", make_config(algorithm, "quick"),
                              load_dataset("mnist-10k"), elapsed_s=elapsed_s)
    return RunSnapshot(**{**run.__dict__, "status": status,
                          "evaluations": {"fd": np.ones(evaluations)}})


def test_the_time_estimate_counts_building_and_judging_and_then_the_measured_pace(monkeypatch):
    monkeypatch.setattr(compare, "_last_slowdown", None)
    # Before it starts: building and evaluations on top of the training; at the same time
    # each run is judged for longer, so more often.
    sequential = duration_estimate_s(3, 60)
    assert sequential > 3 * (60 + BUILD_S)
    assert duration_estimate_s(3, 60, "concurrent") > sequential
    # Once it runs: the first model trained its 10 s and was judged 4 times, the second is
    # being built, and 60 s went by, three times what the work done takes on an idle machine.
    runs = (made_up_run("gan", "finished", 10.0, 4), made_up_run("wgan", "created", 0.0, 0))
    idle = ComparisonSnapshot("cmp-x", "sequential", 10.0, runs).idle_done_s
    snap = ComparisonSnapshot("cmp-x", "sequential", 10.0, runs, wall_s=3 * idle)
    assert snap.slowdown == pytest.approx(3.0)
    assert snap.remaining_s == pytest.approx(3 * (snap.idle_total_s - idle))
    ended = ComparisonSnapshot("cmp-x", "sequential", 10.0,
                               (runs[0], made_up_run("wgan", "finished", 10.0, 4)), wall_s=99)
    assert ended.remaining_s == 0
