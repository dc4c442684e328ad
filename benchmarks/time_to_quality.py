"""Time to quality: how soon each Quick preset draws digits a classifier accepts.

Each run is a real `TrainingRun` of a Quick preset (no step limit) with the shipped-classifier
evaluator of `ganlib.metrics`, scoring 500 samples every few seconds. Time is wall-clock
seconds since `run.start()`: what a user waits after pressing Start, network building and
graph tracing included (TensorFlow's import and the evaluator's one-off reference statistics
are not: the app pays those once per server). Evaluations are not free either; their cost
is inside the wall-clock time, as it is in the app.

Two targets, each within 60 s on 2 CPU cores (FD as a multiple of the real-vs-real baseline,
see docs/metrics.md): every Quick preset at least 9 of 10 digit classes and FD at most 15x
(issue 12, docs/wgan-quick-preset.md), and the GAN Quick preset's own older one, all 10
classes and FD at most 10x (docs/quick-preset.md).
"""

from __future__ import annotations

import math
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from benchmarks.timing import load_average
from ganlib.algorithms import ALGORITHMS
from ganlib.config import make_config
from ganlib.data import load_dataset
from ganlib.metrics import evaluator_for
from ganlib.training.runner import Evaluator, TrainingRun


@dataclass(frozen=True)
class QualityTarget:
    """Quality reached in time: at least `min_classes` digit classes covered (all of them
    where the data has fewer) and FD <= `fd_factor` x the real-vs-real baseline, within
    `seconds` of pressing Start, on every seed of each preset in `presets`."""

    name: str
    min_classes: int
    fd_factor: float
    seconds: float
    presets: tuple[str, ...]

    def reached(self, scores: dict[str, float]) -> bool:
        """Whether one evaluation's scores (a row of the series) have this quality."""
        return (scores["classes_covered"] >= min(self.min_classes, scores["classes_present"])
                and scores["fd"] <= self.fd_factor * scores["fd_baseline"])

    def label(self) -> str:
        """What a reader of the report sees, e.g. ">= 9 classes and FD <= 15x baseline"."""
        return f">= {self.min_classes} classes and FD <= {self.fd_factor:g}x baseline"


# Issue 12's target for every Quick preset (docs/wgan-quick-preset.md), then the GAN Quick
# preset's own stricter one (docs/quick-preset.md).
TARGETS: tuple[QualityTarget, ...] = (
    QualityTarget("quick", min_classes=9, fd_factor=15.0, seconds=60.0, presets=ALGORITHMS),
    QualityTarget("gan-strict", min_classes=10, fd_factor=10.0, seconds=60.0,
                  presets=("gan",)),
)

# The scores kept per evaluation (of QualityReport.as_dict).
SCORES: tuple[str, ...] = ("fd", "fd_baseline", "classes_covered", "classes_present", "confident")


class ClockedEvaluator:
    """An evaluator that keeps its own record of every evaluation: when (wall-clock seconds
    since `started`, and the run's training seconds), at which step, and the scores.

    The run's own evaluation history downsamples old rows in long runs; this record does not.
    """

    def __init__(self, evaluator: Evaluator):
        self._evaluator = evaluator
        self.n_samples = evaluator.n_samples
        self.run: TrainingRun | None = None
        self.started = time.monotonic()
        self.series: dict[str, list[float]] = {name: [] for name in
                                               ("wall_s", "train_s", "step", *SCORES, "fd_ratio")}

    def evaluate(self, images: np.ndarray) -> dict[str, float]:
        wall = time.monotonic() - self.started                 # when the samples were drawn
        snap = self.run.snapshot(watch=False)
        scores = self._evaluator.evaluate(images)
        row = {"wall_s": wall, "train_s": snap.elapsed_s, "step": snap.step,
               **{name: scores[name] for name in SCORES},
               "fd_ratio": scores["fd"] / scores["fd_baseline"]}
        for name, value in row.items():
            self.series[name].append(float(value))
        return scores


def quality_run(algorithm: str, seed: int, seconds: float, evaluate_every_s: float,
                overrides: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Train `algorithm`'s Quick preset (with `overrides` of its settings, for a study) for
    `seconds` of wall-clock time; its score series."""
    config = make_config(algorithm, "quick", **{"steps": None, **(overrides or {}), "seed": seed})
    dataset = load_dataset(config.dataset, config.digits)
    evaluator = evaluator_for(dataset)                       # built once, cached
    if evaluator is None:
        raise RuntimeError(f"No shipped classifier judges {dataset.name}.")
    clocked = ClockedEvaluator(evaluator)
    run = TrainingRun(config, dataset=dataset, evaluator=clocked,
                      evaluate_every_s=evaluate_every_s)
    clocked.run = run
    clocked.started = time.monotonic()
    run.start()
    run.wait(timeout=max(0.0, seconds - (time.monotonic() - clocked.started)))
    run.stop(timeout=300)                                    # scores once more as it ends
    snap = run.snapshot(watch=False)
    if snap.status == "failed":
        raise RuntimeError(f"The {algorithm} run failed: {snap.message}")
    return {"algorithm": algorithm, "seed": seed, "status": snap.status, "steps": snap.step,
            "series": clocked.series,
            "time_to_target_s": {target.name: time_to_target(clocked.series, target)
                                 for target in TARGETS if algorithm in target.presets}}


def time_to_target(series: dict[str, list[float]], target: QualityTarget) -> float | None:
    """Wall-clock seconds of the first evaluation with `target`'s quality, or None if no
    evaluation got there (however late: whether it was in time is the target's `seconds`)."""
    for i, wall in enumerate(series["wall_s"]):
        if target.reached({name: series[name][i] for name in SCORES}):
            return wall
    return None


def time_to_quality(seeds: int = 3, seconds: float = 90.0, evaluate_every_s: float = 3.0,
                    algorithms: tuple[str, ...] = ALGORITHMS) -> dict[str, Any]:
    """Every Quick preset for `seeds` seeds, one run at a time, seed by seed (gan, wgan,
    wgan-gp, then the next seed), so that a slow minute of the machine hits all presets;
    then each target of `TARGETS` judged on the presets it names that were measured."""
    load_before = load_average()
    runs = [quality_run(algorithm, seed, seconds, evaluate_every_s)
            for seed in range(seeds) for algorithm in algorithms]
    presets = {algorithm: {"runs": [r for r in runs if r["algorithm"] == algorithm]}
               for algorithm in algorithms}
    targets = []
    for target in TARGETS:
        results = {}
        for algorithm in target.presets:
            if algorithm not in presets:
                continue
            reached = [r["time_to_target_s"][target.name] for r in presets[algorithm]["runs"]]
            results[algorithm] = {
                "time_to_target_s": reached,
                "reached": sum(t is not None for t in reached),
                "met": all(t is not None and t <= target.seconds for t in reached)}
        if results:
            targets.append({**asdict(target), "label": target.label(), "results": results,
                            "met": all(r["met"] for r in results.values())})
    return {"seeds": seeds, "seconds": seconds, "evaluate_every_s": evaluate_every_s,
            "load_average": [load_before, load_average()], "presets": presets,
            "targets": targets}


def on_grid(runs: list[dict[str, Any]], name: str, grid: np.ndarray) -> np.ndarray:
    """(runs, len(grid)) values of series `name`: at each time the latest evaluation so far,
    NaN before a run's first one (what a user watching the run would have seen)."""
    out = np.full((len(runs), len(grid)), math.nan)
    for row, run in enumerate(runs):
        wall, values = np.asarray(run["series"]["wall_s"]), np.asarray(run["series"][name])
        if not len(wall):
            continue
        index = np.searchsorted(wall, grid, side="right") - 1
        out[row] = np.where(index >= 0, values[np.clip(index, 0, None)], math.nan)
    return out
