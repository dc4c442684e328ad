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
distance, or why the run was too short for one to mean anything.
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
EVALUATE_EVERY_S = 5.0
# Beyond the training itself, on an idle 2-core machine: building and tracing one Quick
# model, and one evaluation (500 samples drawn and judged); docs/decisions.md ("the
# Compare page's time estimate"). A busy machine takes longer: see `measured_slowdown`.
BUILD_S, EVALUATION_S = 4.0, 0.3
# What a comparison took over its idle estimate, the last time one finished in this process:
# the best guess for the next one on the same machine, in the same lesson.
_last_slowdown: float | None = None


def run_seconds(mode: str, n_models: int, budget_s: float) -> float:
    """The time limit of each run: the budget, or at the same time the budget times the
    number of models, since there each run gets that share of the CPU."""
    return budget_s * n_models if mode == "concurrent" else budget_s


def idle_seconds_per_run(mode: str, n_models: int, budget_s: float,
                         evaluate_every_s: float = EVALUATE_EVERY_S) -> float:
    """One run's share of a comparison on an idle machine: building it, its training, and
    its evaluations (one every `evaluate_every_s` while it runs, one at the start and one at
    the end). At the same time each run runs n times longer, so it is judged n times more."""
    seconds = run_seconds(mode, n_models, budget_s)
    evaluations = seconds / evaluate_every_s + 2
    return BUILD_S + budget_s + evaluations * EVALUATION_S


def duration_estimate_s(n_models: int, budget_s: float, mode: str = "sequential",
                        evaluate_every_s: float = EVALUATE_EVERY_S,
                        slowdown: float | None = None) -> float:
    """How long a whole comparison takes: on an idle machine, times `slowdown` (by default
    the last measured one, see `measured_slowdown`)."""
    idle = n_models * idle_seconds_per_run(mode, n_models, budget_s, evaluate_every_s)
    return idle * (slowdown or measured_slowdown() or 1.0)


def measured_slowdown() -> float | None:
    """How much longer than on an idle machine the last finished comparison here took
    (1.3: 30 % longer; at least 1), or None before one has."""
    return _last_slowdown


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
    evaluate_every_s: float = EVALUATE_EVERY_S
    wall_s: float = 0.0              # seconds since it started, to its end once it ended

    @property
    def run_seconds(self) -> float:
        """Each run's time limit (see `run_seconds`)."""
        return run_seconds(self.mode, len(self.runs), self.budget_s)

    @property
    def idle_total_s(self) -> float:
        """How long the whole comparison takes on an idle machine."""
        return duration_estimate_s(len(self.runs), self.budget_s, self.mode,
                                   self.evaluate_every_s, slowdown=1.0)

    @property
    def idle_done_s(self) -> float:
        """How much of `idle_total_s` is done: the models built, their training seconds
        (at the same time a run's clock runs n times slower than its training), their
        evaluations so far."""
        share = self.budget_s / self.run_seconds
        return sum((0.0 if run.status in (RunStatus.CREATED, RunStatus.QUEUED) else BUILD_S)
                   + min(run.elapsed_s, self.run_seconds) * share
                   + len(run.evaluations.get("fd", ())) * EVALUATION_S
                   for run in self.runs)

    @property
    def slowdown(self) -> float | None:
        """How much slower than an idle machine this one goes: the wall-clock time so far
        over the idle time of the work done; None until a twentieth of the work is done (a
        model being built counts only once built)."""
        done = self.idle_done_s
        if done < 0.05 * self.idle_total_s or self.wall_s <= 0:
            return None
        return self.wall_s / done

    @property
    def remaining_s(self) -> float:
        """The time left: the idle time of the work still to do, at the pace measured so far
        (before there is one, the last comparison's, else an idle machine's)."""
        if not self.active:
            return 0.0
        left = max(0.0, self.idle_total_s - self.idle_done_s)
        return left * (self.slowdown or measured_slowdown() or 1.0)

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
                 mode: str = "sequential", evaluate_every_s: float = EVALUATE_EVERY_S,
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
        self.evaluate_every_s = evaluate_every_s
        self._stop = threading.Event()
        self._conductor: threading.Thread | None = None
        self._started: float | None = None            # time.monotonic() at start
        self._ended: float | None = None              # when a snapshot first saw it end

    def start(self, paused: bool = False) -> Comparison:
        """Start every run now (concurrent) or one after another (sequential)."""
        self._started = time.monotonic()
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
        runs = tuple(run.snapshot(watch=watch) for run in self.runs)
        now = time.monotonic()
        just_ended = (self._started is not None and self._ended is None
                      and not any(run.active for run in runs))
        if just_ended:
            self._ended = now
        wall_s = 0.0 if self._started is None else (self._ended or now) - self._started
        snap = ComparisonSnapshot(self.run_id, self.mode, self.budget_s, runs,
                                  self.evaluate_every_s, wall_s)
        if just_ended and snap.status == RunStatus.FINISHED:
            _remember_slowdown(wall_s / snap.idle_total_s)
        return snap


def _remember_slowdown(slowdown: float) -> None:
    """Keep what a finished comparison measured for the next estimate (`measured_slowdown`).
    At least 1: a comparison can beat its idle estimate only where the models were already
    built (kept from an earlier run), and the next one may have to build them."""
    global _last_slowdown
    _last_slowdown = max(1.0, slowdown)


def loss_signal(snap: RunSnapshot) -> tuple[str, np.ndarray, np.ndarray]:
    """(label, steps, values) of the loss the articles plot: D's loss for the GAN, the
    Wasserstein estimate for the WGANs."""
    name = ALGORITHM_INFO[snap.config.algorithm].loss_signal
    empty = np.empty(0)
    return name, snap.history.get("step", empty), snap.history.get(name, empty)


# A loss-quality correlation means something only over enough training and enough
# evaluations (docs/decisions.md, "When the loss-quality correlation is conclusive"). In its
# first few hundred generator steps a critic is still catching up: measured on the Quick
# presets, the Wasserstein estimate rose from near 0 until step 600 (WGAN) or 675 (WGAN-GP)
# while the samples already improved, and only then fell with the Fréchet distance, as the
# article says. So the evaluations of the first CORRELATION_WARMUP_STEPS steps are left out,
# for every algorithm alike; at least MIN_CORRELATION_EVALUATIONS must remain (with 8 points,
# chance alone gives a rank correlation above 0.64 less than one time in twenty; with 5 it
# takes 0.9), in a run of at least MIN_CORRELATION_STEPS steps.
CORRELATION_WARMUP_STEPS = 600
MIN_CORRELATION_EVALUATIONS = 8
MIN_CORRELATION_STEPS = 1000


@dataclass(frozen=True)
class LossQuality:
    """How a run's loss signal followed its sample quality, as far as the run can tell.

    `rho` is the rank correlation, None when it is inconclusive; `evaluations` counts the
    evaluations after the warm-up it was (or would be) taken over, `steps` the generator
    steps trained.
    """

    rho: float | None
    evaluations: int
    steps: int

    @property
    def too_short(self) -> bool:
        """Whether the run trained too little, or was judged too rarely, for a verdict."""
        return (self.evaluations < MIN_CORRELATION_EVALUATIONS
                or self.steps < MIN_CORRELATION_STEPS)

    @property
    def conclusive(self) -> bool:
        return self.rho is not None


def loss_quality_correlation(snap: RunSnapshot) -> LossQuality:
    """Spearman rank correlation between the run's loss signal (`loss_signal`: the
    Wasserstein estimate for the WGANs, D's loss for the GAN) and its Fréchet distance.

    For each evaluation after the warm-up (`CORRELATION_WARMUP_STEPS`), the loss is
    averaged over the steps since the previous evaluation (single steps are noisy). Close to
    +1: the loss falls as the samples get better, the WGAN claim. Near 0 or negative, over a
    long enough run: the loss says nothing about quality. Inconclusive (rho None) when the
    run is too short (`LossQuality.too_short`), or when the loss or the distance did not
    change.
    """
    evals = snap.evaluations
    _label, steps, values = loss_signal(snap)
    averaged, kept_fd = [], []
    previous = 0
    for step, distance in zip(evals.get("step", ()), evals.get("fd", ())):
        window = (steps > previous) & (steps <= step)
        previous = step
        if step > CORRELATION_WARMUP_STEPS and window.any() and np.isfinite(distance):
            averaged.append(float(np.nanmean(values[window])))
            kept_fd.append(float(distance))
    quality = LossQuality(None, len(averaged), int(snap.step))
    if quality.too_short:
        return quality
    return LossQuality(spearman(np.array(averaged), np.array(kept_fd)), len(averaged),
                       int(snap.step))


def spearman(a: np.ndarray, b: np.ndarray) -> float | None:
    """Spearman's rank correlation of two equally long series; None if either is constant."""
    ranks_a, ranks_b = _ranks(a), _ranks(b)
    if ranks_a.std() == 0 or ranks_b.std() == 0:
        return None
    return float(np.corrcoef(ranks_a, ranks_b)[0, 1])


def _ranks(values: np.ndarray) -> np.ndarray:
    """The rank of each value, equal values sharing the mean of their ranks (so a constant
    series has constant ranks, not 0, 1, 2, ...)."""
    ranks = np.empty(len(values))
    ranks[np.argsort(values, kind="stable")] = np.arange(len(values))
    _unique, tie, count = np.unique(values, return_inverse=True, return_counts=True)
    return (np.bincount(tie, weights=ranks) / count)[tie]
