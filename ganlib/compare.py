"""GAN vs WGAN vs WGAN-GP on the same data for the same time: the articles' claims, measured.

A comparison is a handful of `TrainingRun`s that share one dataset, one time budget and one
quality evaluator, trained either at the same time (each gets a share of the CPU) or one
after another (each gets the whole CPU). It behaves like a run towards the registry (start,
stop, snapshot), so it counts as one job against the server's cap.

The WGAN article's central claim is that the critic's Wasserstein estimate tracks sample
quality while a GAN's losses do not. `loss_quality_correlation` puts a number on it: the
rank correlation, over a run's evaluations, between its loss signal and its Fréchet
distance.
"""

from __future__ import annotations

import secrets
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ganlib.algorithms import ALGORITHM_INFO
from ganlib.config import TrainConfig, make_config
from ganlib.data import load_dataset
from ganlib.errors import ConfigError
from ganlib.metrics import evaluator_for
from ganlib.runner import RunSnapshot, TrainingRun

MODES = ("sequential", "concurrent")

# Named line-ups for the Compare page: (algorithm, preset, settings changed) per contestant.
# In the mode-collapse line-up the WGANs get the same 2-number latent space as the GAN, so
# that a difference in coverage is the algorithm's doing, not the latent size's.
LINEUPS: dict[str, tuple[tuple[str, str, dict], ...]] = {
    "quick": (("gan", "quick", {}), ("wgan", "quick", {}), ("wgan-gp", "quick", {})),
    "mode-collapse": (("gan", "mode-collapse", {}), ("wgan", "quick", {"latent_dim": 2}),
                      ("wgan-gp", "quick", {"latent_dim": 2})),
}


def lineup(name: str, **overrides) -> list[TrainConfig]:
    """The configurations of a named line-up, all on the same data (overrides apply to all)."""
    if name not in LINEUPS:
        raise ConfigError(f"Unknown line-up {name!r}; choose one of {', '.join(LINEUPS)}.")
    return [make_config(algorithm, preset, **{**changes, **overrides})
            for algorithm, preset, changes in LINEUPS[name]]


@dataclass(frozen=True)
class ComparisonSnapshot:
    run_id: str
    mode: str
    budget_s: float
    runs: tuple[RunSnapshot, ...]

    @property
    def active(self) -> bool:
        return any(run.active for run in self.runs)

    @property
    def status(self) -> str:
        if self.active:
            return "running"
        return "finished" if all(r.status == "finished" for r in self.runs) else "stopped"


class Comparison:
    """Several runs on the same data for the same training-time budget."""

    def __init__(self, configs: Sequence[TrainConfig], budget_s: float,
                 mode: str = "sequential", evaluate_every_s: float = 5.0,
                 n_eval_samples: int = 500, pause_when_unwatched_s: float | None = None):
        if mode not in MODES:
            raise ConfigError(f"mode must be one of {', '.join(MODES)} (got {mode!r}).")
        if not 2 <= len(configs) <= 4:
            raise ConfigError("Compare two to four configurations.")
        if not 1 <= budget_s <= 3600:
            raise ConfigError(f"The time budget must be 1 to 3600 seconds (got {budget_s:g}).")
        data = {(c.dataset, c.digits) for c in configs}
        if len(data) != 1:
            raise ConfigError("A fair comparison trains every model on the same data: give "
                              "them the same dataset and digits.")
        source, digits = data.pop()
        dataset = load_dataset(source, digits)
        evaluator = evaluator_for(dataset, n_samples=n_eval_samples)
        self.run_id = f"cmp-{secrets.token_hex(4)}"
        self.mode = mode
        self.budget_s = budget_s
        self.runs = [TrainingRun(c.replace(steps=None), dataset=dataset, max_seconds=budget_s,
                                 evaluator=evaluator, evaluate_every_s=evaluate_every_s,
                                 n_samples=36, pause_when_unwatched_s=pause_when_unwatched_s)
                     for c in configs]
        self._stop = threading.Event()
        self._conductor: threading.Thread | None = None

    def start(self, paused: bool = False) -> Comparison:
        """Start every run now (concurrent) or one after another (sequential)."""
        if self.mode == "concurrent":
            for run in self.runs:
                run.start(paused=paused)
        else:
            self._conductor = threading.Thread(target=self._one_after_another,
                                               name=self.run_id, daemon=True)
            self._conductor.start()
        return self

    def _one_after_another(self) -> None:
        for run in self.runs:
            if self._stop.is_set():
                return
            run.start()
            while not run.wait(0.5):
                if self._stop.is_set():
                    run.stop()
                    return

    def stop(self, timeout: float | None = 30.0) -> None:
        self._stop.set()
        for run in self.runs:
            run.stop(timeout)            # also marks runs that never started as stopped
        if self._conductor is not None:
            self._conductor.join(timeout)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until every run has ended; True if they all did."""
        if self._conductor is not None:
            self._conductor.join(timeout)
        return all(run.wait(timeout) for run in self.runs if run.alive)

    @property
    def unwatched_s(self) -> float:
        """Seconds since anyone watched any of its runs."""
        return min(run.unwatched_s for run in self.runs)

    def snapshot(self, watch: bool = True) -> ComparisonSnapshot:
        return ComparisonSnapshot(self.run_id, self.mode, self.budget_s,
                                  tuple(run.snapshot(watch=watch) for run in self.runs))


def loss_signal(snap: RunSnapshot) -> tuple[str, np.ndarray, np.ndarray]:
    """(label, steps, values) of the loss the articles plot: D's loss for the GAN, the
    Wasserstein estimate for the WGANs."""
    name = ALGORITHM_INFO[snap.config.algorithm].loss_signal
    return name, snap.history["step"], snap.history[name]


def loss_quality_correlation(snap: RunSnapshot) -> float | None:
    """Spearman rank correlation between the loss signal and the Fréchet distance.

    For each evaluation, the loss is averaged over the steps since the previous evaluation
    (single steps are noisy). Close to +1: the loss falls as the samples get better, the
    WGAN claim. Near 0 or negative: the loss says nothing about quality. None with fewer
    than four evaluations.
    """
    evals = snap.evaluations
    if not evals or "fd" not in evals or len(evals["fd"]) < 4:
        return None
    _, steps, values = loss_signal(snap)
    eval_steps, fd = evals["step"], evals["fd"]
    averaged, kept_fd = [], []
    previous = 0
    for step, distance in zip(eval_steps, fd):
        window = (steps > previous) & (steps <= step)
        previous = step
        if window.any() and np.isfinite(distance):
            averaged.append(float(np.nanmean(values[window])))
            kept_fd.append(float(distance))
    if len(averaged) < 4:
        return None
    return _spearman(np.array(averaged), np.array(kept_fd))


def _spearman(a: np.ndarray, b: np.ndarray) -> float | None:
    ranks_a = np.argsort(np.argsort(a)).astype(float)
    ranks_b = np.argsort(np.argsort(b)).astype(float)
    if ranks_a.std() == 0 or ranks_b.std() == 0:
        return None
    return float(np.corrcoef(ranks_a, ranks_b)[0, 1])
