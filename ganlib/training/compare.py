"""GAN vs WGAN vs WGAN-GP on the same data for the same time: the articles' claims, measured.

A comparison is a handful of runs (threads or Ray actors: ganlib.training.backends) that share one
dataset, one time budget and one quality evaluator, trained either at the same time (each
gets a share of the CPU) or one after another (each gets the whole CPU). It behaves like a run towards the registry (start,
stop, snapshot), so it counts as one job against the server's cap.

Both modes give each model about the same training and take about the same time: at the
same time, the runs train for the budget times their number and take turns on the CPU
(`TakeTurns`), so each gets a fair share of it. Left to themselves, threads whose
TensorFlow steps all want every core shared it unevenly, and on the page thrashed (issue 12:
the GAN made half its steps); with turns both modes make about as many steps
(docs/wgan-quick-preset.md).

The WGAN article's central claim is that the critic's Wasserstein estimate tracks sample
quality while a GAN's losses do not. `loss_quality_correlation` puts a number on it: the
rank correlation, over a run's evaluations, between its loss signal and its Fréchet
distance.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from ganlib.algorithms import ALGORITHM_INFO
from ganlib.config import TrainConfig, make_config
from ganlib.data import load_dataset
from ganlib.errors import ConfigError
from ganlib.messages import _
from ganlib.training.backends import THREADS, Backend, ThreadBackend
from ganlib.training.core import RunSnapshot, RunStatus

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
        raise ConfigError(_("Unknown line-up {name!r}; choose one of {lineups}.").format(
                              name=name, lineups=', '.join(LINEUPS)))
    return [make_config(algorithm, preset, **{**changes, **overrides})
            for algorithm, preset, changes in LINEUPS[name]]


# Budgets of the Compare page, in seconds of training per model (docs/wgan-quick-preset.md:
# the least and the usual time in which all three Quick presets draw digits).
MIN_BUDGET_S, DEFAULT_BUDGET_S, MAX_BUDGET_S = 30, 60, 300
# Beyond the training itself, per model: building and tracing the networks, and judging 500
# samples every 5 s of training (measured in docs/wgan-quick-preset.md: 50 s for 3 x 15 s).
START_S, EVALUATION_SHARE = 2.0, 0.05


def run_seconds(mode: str, n_models: int, budget_s: float) -> float:
    """The time limit of each run: the budget, or at the same time the budget times the
    number of models, since there each run gets that share of the CPU."""
    return budget_s * n_models if mode == "concurrent" else budget_s


def duration_estimate_s(n_models: int, budget_s: float) -> float:
    """How long a whole comparison takes, in either mode, on an otherwise idle machine."""
    return n_models * (budget_s * (1 + EVALUATION_SHARE) + START_S)


class TakeTurns:
    """Runs that share the CPU make their training steps one at a time, each in turn getting
    the same CPU time.

    A TensorFlow step of the quick networks uses every core; two or three at once mostly
    wait on one another. Here one step holds the CPU at a time. A run keeps its turn for
    `slice_s` of steps (handing over after every step would wake a thread every few
    milliseconds, slow on a busy machine); then the turn goes to the waiting run that has
    had the least time so far, so a run whose steps cost twice as much makes half as many,
    as it would alone in the same share of time. Callers are told apart by their thread:
    each run trains in a thread of its own.
    """

    def __init__(self, slice_s: float = 0.05) -> None:
        self.slice_s = slice_s
        self._cond = threading.Condition()
        self._used: dict[int, float] = {}          # seconds of turns, by thread
        self._waiting: set[int] = set()
        self._busy = False
        self._holder: int | None = None            # whose slice it is, since when
        self._slice_started = 0.0

    @contextmanager
    def turn(self) -> Iterator[None]:
        """Wait for this thread's turn, then hold it for the block."""
        me = threading.get_ident()
        with self._cond:
            # A newcomer starts level with the least served waiting run, not with a debt.
            self._used.setdefault(me, min((self._used[t] for t in self._waiting), default=0.0))
            self._waiting.add(me)
            # The holder may be away between steps (sampling, judging) or gone for good
            # (its run ended): then the others wait at most the rest of its slice.
            while self._busy or self._next() != me:
                self._cond.wait(self.slice_s)
            self._waiting.discard(me)
            self._busy = True
            if self._holder != me:
                self._holder, self._slice_started = me, time.perf_counter()
        started = time.perf_counter()
        try:
            yield
        finally:
            with self._cond:
                self._used[me] += time.perf_counter() - started
                self._busy = False
                self._cond.notify_all()

    def _next(self) -> int:
        """Whose turn it is: the holder's until its slice is over, then the least served."""
        in_slice = time.perf_counter() - self._slice_started < self.slice_s
        if in_slice and self._holder is not None:
            return self._holder
        return min(self._waiting, key=self._used.__getitem__)


@dataclass(frozen=True)
class ComparisonSnapshot:
    run_id: str
    mode: str
    budget_s: float
    runs: tuple[RunSnapshot, ...]

    @property
    def run_seconds(self) -> float:
        """Each run's time limit (see `run_seconds`)."""
        return run_seconds(self.mode, len(self.runs), self.budget_s)

    @property
    def active(self) -> bool:
        return any(run.active for run in self.runs)

    @property
    def eta_s(self) -> float | None:
        """Seconds of training left until the comparison ends at its time budget (building
        and judging come on top); None once it has ended. One after another the runs' times
        add up; at the same time the slowest decides."""
        left = [max(0.0, self.run_seconds - run.elapsed_s) for run in self.runs if run.active]
        if not left:
            return None
        return max(left) if self.mode == "concurrent" else sum(left)

    @property
    def status(self) -> RunStatus:
        if self.active:
            return RunStatus.RUNNING
        return (RunStatus.FINISHED if all(r.status == RunStatus.FINISHED for r in self.runs)
                else RunStatus.STOPPED)


class Comparison:
    """Several runs on the same data for the same training-time budget."""

    def __init__(self, configs: Sequence[TrainConfig], budget_s: float,
                 mode: str = "sequential", evaluate_every_s: float = 5.0,
                 n_eval_samples: int = 500, pause_when_unwatched_s: float | None = None,
                 backend: Backend = THREADS, priority: bool = False,
                 owner_id: str | None = None, time_scale: float = 1.0):
        # `time_scale` shrinks the comparison's clock, the budget and the time between
        # evaluations alike, so that a test or a rehearsal runs the page's real comparison
        # as a miniature of itself (the app passes its setting, ganlib.settings).
        if not 0 < time_scale <= 1:
            raise ConfigError(_("The comparison's time scale must be above 0 and at most 1 "
                                "(got {scale:g}); 1 gives full-length comparisons.").format(
                                  scale=time_scale))
        if mode not in MODES:
            raise ConfigError(_("mode must be one of {modes} (got {mode!r}).").format(
                                  modes=', '.join(MODES), mode=mode))
        if not 2 <= len(configs) <= 4:
            raise ConfigError(_("Compare two to four configurations."))
        if not 1 <= budget_s <= 3600:
            raise ConfigError(_("The time budget must be 1 to 3600 seconds (got "
                                "{budget_s:g}).").format(
                                  budget_s=budget_s))
        data = {(c.dataset, c.digits) for c in configs}
        if len(data) != 1:
            raise ConfigError(_("A fair comparison trains every model on the same data: give them "
                                "the same dataset and digits."))
        source, digits = data.pop()
        dataset = load_dataset(source, digits)
        self.run_id = f"cmp-{secrets.token_hex(4)}"
        self.mode = mode
        budget_s, evaluate_every_s = budget_s * time_scale, evaluate_every_s * time_scale
        self.budget_s = budget_s
        # Each model trains where the backend puts it (ganlib.training.backends); `priority`: the
        # teacher's comparison goes first in a cluster's queue. `owner_id` is written into
        # each run's saves and autosaves, as for a run (a student's stay theirs).
        # Threads of this process that train at the same time take turns; a cluster's runs
        # each have their own CPUs.
        shares_cpu = mode == "concurrent" and isinstance(backend, ThreadBackend)
        turns = {"step_turn": TakeTurns().turn} if shares_cpu else {}
        self.runs = [backend.make_run(c.replace(steps=None), dataset=dataset,
                                      evaluation_samples=n_eval_samples, priority=priority,
                                      max_seconds=run_seconds(mode, len(configs), budget_s),
                                      evaluate_every_s=evaluate_every_s, n_samples=36,
                                      pause_when_unwatched_s=pause_when_unwatched_s,
                                      owner_id=owner_id, **turns)
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
    _label, steps, values = loss_signal(snap)
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
    return spearman(np.array(averaged), np.array(kept_fd))


def spearman(a: np.ndarray, b: np.ndarray) -> float | None:
    """Spearman's rank correlation of two equally long series; None if either is constant."""
    ranks_a = np.argsort(np.argsort(a)).astype(float)
    ranks_b = np.argsort(np.argsort(b)).astype(float)
    if ranks_a.std() == 0 or ranks_b.std() == 0:
        return None
    return float(np.corrcoef(ranks_a, ranks_b)[0, 1])
