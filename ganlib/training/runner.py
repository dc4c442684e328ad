"""A training run in its own thread, controlled and watched from any other.

The training thread is the only place where training happens. Other threads (a Streamlit
page, the command line, a test) control it with `start`, `pause`, `resume`, `stop` and
`step(n)`, and watch it through `snapshot()`: a frozen, consistent copy taken under the
run's lock, so any number of pages and browser tabs can read one run at once.

Two locks keep the run consistent:
- the state lock (a Condition) guards status, counters, history and samples; it is held
  only for short bookkeeping, so `snapshot()` never waits for a training step;
- the model lock is held during each training step; `generator_weights()` and `save()` take
  it, so what they read belongs to exactly one step. Waiting callers get priority over the
  next step, so they wait at most one step.
"""

from __future__ import annotations

import ctypes
import logging
import math
import tempfile
import threading
import time
import traceback
import weakref
from collections import deque
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from functools import cache
from typing import Protocol

import numpy as np

from ganlib.algorithms import ALGORITHM_INFO
from ganlib.config import TrainConfig
from ganlib.data import Dataset, load_dataset
from ganlib.errors import GanlibError
from ganlib.history import MetricHistory
from ganlib.images import to_uint8
from ganlib.latent import latent_vectors
from ganlib.messages import LazyText, _
from ganlib.training.core import (NotBuiltYet, RunCore, RunSnapshot, RunStatus, autosave_name,
                                  check_step_count)

log = logging.getLogger(__name__)


class Evaluator(Protocol):
    """Scores a batch of generated images (see ganlib.metrics); called in the run's thread."""

    n_samples: int

    def evaluate(self, images: np.ndarray) -> dict[str, float]: ...


@dataclass(frozen=True)
class ResumeState:
    """Where a resumed run starts: weights, optimiser slots, step, history, time.

    `generator_weights` are the trained generator's, `average_weights` its average's
    (ganlib.gans): a checkpoint saved without averaging, or before it existed, has one
    generator, which is both."""

    generator_weights: list[np.ndarray]
    critic_weights: list[np.ndarray]
    optimizer_state: Mapping[str, list[np.ndarray]]
    step: int
    history: Mapping[str, np.ndarray]
    elapsed_s: float
    average_weights: list[np.ndarray]

    @classmethod
    def from_checkpoint(cls, checkpoint) -> ResumeState:
        """Where a run saved as `checkpoint` (a ganlib.checkpoints.Checkpoint) left off."""
        if checkpoint.critic is None:
            raise GanlibError(_("Resuming needs the critic too: load the checkpoint with "
                                "with_critic=True."))
        trained = checkpoint.raw_generator or checkpoint.generator
        return cls(generator_weights=trained.get_weights(),
                   average_weights=checkpoint.generator.get_weights(),
                   critic_weights=checkpoint.critic.get_weights(),
                   optimizer_state=checkpoint.optimizer_state, step=checkpoint.info.step,
                   history=checkpoint.history, elapsed_s=checkpoint.info.elapsed_s)


@dataclass(frozen=True)
class _Weights:
    """A copy of a run's networks and optimiser slots, as NumPy arrays.

    `generator` is the generator samples come from (the average, ganlib.gans);
    `raw_generator` the trained one, kept only where it differs (with averaging) and the
    critic was asked for: what resuming needs besides the average."""

    generator: list[np.ndarray]
    critic: list[np.ndarray]
    optimizer_state: Mapping[str, list[np.ndarray]]
    raw_generator: list[np.ndarray] = field(default_factory=list)

    @classmethod
    def of(cls, model, with_critic: bool) -> _Weights:
        """Copy `model` (an AdversarialModel); the critic, the trained generator and the
        optimisers only if asked."""
        average = model.average_generator.get_weights()
        if not with_critic:
            return cls(average, [], {})
        return cls(average, model.discriminator.get_weights(),
                   {"d_optimizer": [v.numpy() for v in model.d_optimizer.variables],
                    "g_optimizer": [v.numpy() for v in model.g_optimizer.variables]},
                   model.generator.get_weights() if model.averaging else [])


class _EndedWeights:
    """An ended run's final weights, in a temporary file that has no name.

    A server keeps its ended runs for their pages and for a later Save, which writes a
    resumable checkpoint (critic and optimiser slots too). In memory that was 3.4 MB per
    ended run of the quick networks, 68 MB for the 20 a registry keeps; read back from the
    file, a page's sampler gets the generator in milliseconds. The file vanishes when
    closed or when the process dies, however it dies. Only when no temporary file can be
    written do the weights stay in memory.
    """

    def __init__(self, weights: _Weights):
        self._kept: _Weights | None = None
        parts = {"generator": weights.generator, "critic": weights.critic,
                 "raw_generator": weights.raw_generator, **weights.optimizer_state}
        self._lengths = {part: len(arrays) for part, arrays in parts.items()}
        try:
            self._file = tempfile.TemporaryFile(prefix="ganlib-run-")
            np.savez(self._file, **{f"{part}.{i}": array for part, arrays in parts.items()
                                    for i, array in enumerate(arrays)})
        except OSError as exc:
            log.warning("Keeping an ended run's weights in memory: %s", exc)
            self._kept = weights
            return
        weakref.finalize(self, self._file.close)

    def weights(self, with_critic: bool) -> _Weights:
        """The final weights; the critic and optimisers only if asked (callers hold the
        run's model lock, so reads of the file never interleave)."""
        if self._kept is not None:
            return self._kept if with_critic else _Weights(self._kept.generator, [], {})
        wanted = self._lengths if with_critic else {"generator": self._lengths["generator"]}
        self._file.seek(0)
        with np.load(self._file) as stored:        # an .npz reads only the arrays asked for
            parts = {part: [stored[f"{part}.{i}"] for i in range(n)]
                     for part, n in wanted.items()}
        return _Weights(parts.pop("generator"), parts.pop("critic", []),
                        raw_generator=parts.pop("raw_generator", []), optimizer_state=parts)


@cache
def _malloc_trim():
    """glibc's malloc_trim, or None where the C library is another one (macOS, musl)."""
    try:
        return ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):
        return None


def _return_free_memory() -> None:
    """Hand the C heap's free pages back to the system when a run ends.

    Each run trains in a thread of its own, and glibc gives threads heap arenas that keep
    the pages they freed. Measured over 50 start/stop cycles through a registry: without
    this the process kept growing about 1.7 MB a run after the registry was full; with it,
    memory stayed flat (docs/decisions.md). Where there is no glibc it does nothing.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def save_state(name: str, weights: _Weights, snap: RunSnapshot, *, owner: str | None,
               root=None, overwrite: bool = True, autosave: bool = False):
    """Save a run's `checkpoint_state()` as checkpoint `name` (see ganlib.checkpoints): the
    one way a run becomes a checkpoint, wherever it trained. Its quality is measured here,
    once (ganlib.quality), so that the Models page can rank models without loading them.

    `autosave` marks the run's safety copy (ganlib.training.autosave). A save under a name a
    person chose makes that copy redundant: it is deleted once the save is done, so that a
    student's share is not spent twice on one run."""
    from ganlib.checkpoints import save_checkpoint
    from ganlib.images import image_grid
    from ganlib.models import build_discriminator, build_generator
    from ganlib.quality import measure

    generator, critic = build_generator(snap.config), build_discriminator(snap.config)
    generator.set_weights(weights.generator)
    critic.set_weights(weights.critic)
    raw_generator = None
    if weights.raw_generator:
        raw_generator = build_generator(snap.config)
        raw_generator.set_weights(weights.raw_generator)
    preview = image_grid(snap.samples) if snap.samples is not None else None
    metrics = {k: float(v[-1]) for k, v in snap.history.items()
               if k not in ("step", "time") and len(v)}
    if snap.evaluations:
        metrics.update({k: float(v[-1]) for k, v in snap.evaluations.items()
                        if k not in ("step", "time") and len(v)})
    quality = measure(generator, snap.config)
    return save_checkpoint(
        name, generator=generator, raw_generator=raw_generator, critic=critic,
        config=snap.config, step=snap.step,
        history=snap.history, preview=preview, elapsed_s=snap.elapsed_s, metrics=metrics,
        optimizer_state=weights.optimizer_state, dataset_notice=snap.dataset_notice,
        root=root, overwrite=overwrite, owner=owner, autosave=autosave,
        supersedes=None if autosave else autosave_name(snap.run_id),
        quality=quality.as_dict() if quality is not None else None)


@dataclass
class _Frames:
    """The bounded timeline of sample grids: when full, every other old frame is dropped.
    Frames are uint8 pixels, a quarter of the floats: a long run keeps 60 of them."""

    capacity: int
    frames: list[tuple[int, np.ndarray]] = field(default_factory=list)

    def add(self, step: int, images: np.ndarray) -> None:
        if self.frames and self.frames[-1][0] == step:
            self.frames[-1] = (step, images)
            return
        self.frames.append((step, images))
        if len(self.frames) > self.capacity:
            # Keep the first frame (pure noise: the start of the story) and the newest.
            self.frames = self.frames[:-1:2] + self.frames[-1:]


class TrainingRun(RunCore):
    """One training run of `config` in a background thread."""

    def __init__(self, config: TrainConfig, *, dataset: Dataset | None = None,
                 n_samples: int = 64, sample_every_s: float = 1.0, timeline_frames: int = 60,
                 history_capacity: int = 4000, max_seconds: float | None = None,
                 pause_when_unwatched_s: float | None = None,
                 evaluator: Evaluator | None = None, evaluate_every_s: float = 10.0,
                 resume: ResumeState | None = None, owner_id: str | None = None,
                 step_turn: Callable[[], AbstractContextManager] = nullcontext):
        super().__init__(config, owner_id)
        # Held around each training step: runs that share a CPU take turns (ganlib.training.compare).
        self.step_turn = step_turn
        # Loaded here, not in the thread, so that a bad dataset fails the caller at once.
        self.dataset = dataset if dataset is not None else load_dataset(config.dataset, config.digits)
        self.n_samples = n_samples
        self.sample_every_s = sample_every_s
        self.max_seconds = max_seconds
        self.pause_when_unwatched_s = pause_when_unwatched_s
        self.evaluator = evaluator
        self.evaluate_every_s = evaluate_every_s
        self._resume = resume
        # The fixed noise behind the sample grid: the same z every time, so a student sees
        # the same digits take shape.
        self.fixed_noise = latent_vectors(config.seed, n_samples, config.latent_dim)

        self._history = MetricHistory(ALGORITHM_INFO[config.algorithm].metrics,
                                      capacity=history_capacity,
                                      recent=min(1000, history_capacity // 2))
        self._evaluations: MetricHistory | None = None
        self._frames = _Frames(timeline_frames)
        self._cond = threading.Condition()
        self._model_lock = threading.Lock()
        self._model_requests = 0
        self._status = RunStatus.CREATED
        self._message: str | None = None
        self._step = resume.step if resume else 0
        self._elapsed = resume.elapsed_s if resume else 0.0
        self._step_budget = 0            # steps still to make while paused ("step N")
        self._stop = False
        self._paused = False
        self._samples: np.ndarray | None = None
        self._raw_samples: np.ndarray | None = None
        self._samples_step = -1
        self._rate: deque[tuple[float, int]] = deque(maxlen=50)
        self._last_watched = time.monotonic()
        self._saved_as: str | None = None
        self._saved_step = -1
        self.model = None                 # the AdversarialModel, built in the thread
        self._final: _EndedWeights | None = None   # its weights once the run has ended
        if resume:
            self._history.load(resume.history)
        self._thread = threading.Thread(target=self._main, name=self.run_id, daemon=True)

    # --- control (any thread) ------------------------------------------------------------

    def start(self, paused: bool = False) -> TrainingRun:
        """Start the thread; with paused=True it builds the models and waits for step/resume."""
        with self._cond:
            self._paused = paused
        self._thread.start()
        return self

    def pause(self) -> None:
        """Pause after the current step; the status reads "paused" once that step is done."""
        with self._cond:
            if self._status.active:
                self._paused = True
                self._step_budget = 0
                self._cond.notify_all()

    def resume(self) -> None:
        with self._cond:
            if self._status.active:
                self._paused = False
                self._message = None
                self._last_watched = time.monotonic()
                self._cond.notify_all()

    def step(self, n: int = 1) -> None:
        """Advance exactly n more iterations, then stay paused."""
        check_step_count(n)
        with self._cond:
            if self._status.active:
                self._paused = True
                self._step_budget += n
                self._cond.notify_all()

    def stop(self, timeout: float | None = 30.0) -> None:
        """Stop after the current step and wait for the thread to end."""
        with self._cond:
            self._stop = True
            if self._status == RunStatus.CREATED and self._thread.ident is None:
                self._status = RunStatus.STOPPED
                self._message = LazyText("Stopped before it started.")
                self._ended.set()
            self._cond.notify_all()
        if self._thread.is_alive() and threading.current_thread() is not self._thread:
            self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        """Training or paused in its thread: false once it ended and kept its results."""
        return self._thread.is_alive() and not self._ended.is_set()

    # --- observation (any thread) ----------------------------------------------------------

    def snapshot(self, watch: bool = True) -> RunSnapshot:
        """A consistent copy of the run's state. watch=True counts as someone watching."""
        with self._cond:
            if watch:
                self._last_watched = time.monotonic()
            return RunSnapshot(
                run_id=self.run_id, config=self.config, status=self._status,
                message=self._message, step=self._step,
                elapsed_s=self._elapsed, steps_per_s=self._speed(),
                history=self._history.arrays(),
                evaluations=self._evaluations.arrays() if self._evaluations else {},
                samples=self._samples, raw_samples=self._raw_samples,
                samples_step=self._samples_step,
                timeline=tuple(self._frames.frames),
                dataset_name=self.dataset.name, dataset_notice=self.dataset.notice,
                num_images=len(self.dataset.images), saved_as=self._saved_as,
                saved_step=self._saved_step)

    def generator_weights(self) -> tuple[int, list[np.ndarray]]:
        """(step, weights) of the generator samples come from (the average, ganlib.gans),
        copied between two steps."""
        weights, snap = self._weights(with_critic=False)
        return snap.step, weights.generator

    def save(self, name: str, root=None, overwrite: bool = True):
        """Save a checkpoint of the current step (see ganlib.checkpoints)."""
        info = save_state(name, *self.checkpoint_state(), owner=self.owner_id, root=root,
                          overwrite=overwrite)
        with self._cond:
            self._saved_as, self._saved_step = info.name, info.step
        return info

    def checkpoint_state(self) -> tuple[_Weights, RunSnapshot]:
        """What a checkpoint of the current step holds, as arrays: a Ray actor sends this to
        the app, which saves it with `save_state` into its own folder (ganlib.training.ray_backend)."""
        return self._weights(with_critic=True)

    # --- the training thread ---------------------------------------------------------------

    def _main(self) -> None:
        try:
            self._build()
            self._loop()
        except Exception as exc:  # noqa: BLE001 - a run must never die silently
            traceback.print_exc()
            self._end(RunStatus.FAILED, LazyText("Training failed: {detail}", detail=str(exc))
                      if isinstance(exc, GanlibError) else
                      LazyText("Training failed: {error}: {detail}. This is a bug in ganlib; "
                               "the traceback is in the server log.",
                               error=type(exc).__name__, detail=exc))
        finally:
            self._retire()
            self._ended.set()

    def _retire(self) -> None:
        """Keep the final weights (see _EndedWeights), and give the networks and the data
        tensor back.

        A server keeps its ended runs for their snapshots and a later Save; holding their
        networks and a device copy of their data (31 MB for the bundled digits) cost about
        15 MB a run. The model goes back to `MODEL_POOL` for the next run of the same settings.
        """
        from ganlib.gans import MODEL_POOL

        with self._model_lock:
            model, self.model = self.model, None
            if model is not None:
                self._final = _EndedWeights(_Weights.of(model, with_critic=True))
            self._data = self._noise = None
            self._resume = None
        if model is not None:
            MODEL_POOL.release(model)
        _return_free_memory()

    def _build(self) -> None:
        import tensorflow as tf

        from ganlib.gans import MODEL_POOL

        self.model = MODEL_POOL.acquire(self.config)
        self._data = tf.constant(self.dataset.images)
        self._noise = tf.constant(self.fixed_noise)
        self.model.trace(self._data)
        if self._resume:
            self.model.generator.set_weights(self._resume.generator_weights)
            self.model.average_generator.set_weights(self._resume.average_weights)
            self.model.discriminator.set_weights(self._resume.critic_weights)
            self._load_optimizer_state(self._resume.optimizer_state)
        self._sample()
        with self._cond:
            if self._status == RunStatus.CREATED:
                self._status = RunStatus.PAUSED if self._paused else RunStatus.RUNNING

    def _loop(self) -> None:
        last_sample = last_eval = time.monotonic()
        if self.evaluator is not None:
            self._evaluate()
        while True:
            with self._cond:
                if not self._wait_for_work():
                    break
            started = time.monotonic()
            with self.step_turn(), self._model_lock:
                values = {k: float(v) for k, v in self.model.train_iteration(self._data).items()}
            now = time.monotonic()
            with self._cond:
                self._step += 1
                self._elapsed += now - started
                self._rate.append((self._elapsed, self._step))
                self._history.append(self._step, self._elapsed, values)
                stepping_done = self._paused and self._step_budget == 0
            if not all(math.isfinite(v) for v in values.values()):
                self._sample()
                bad = ", ".join(k for k, v in values.items() if not math.isfinite(v))
                self._end(RunStatus.DIVERGED, self._divergence_advice(bad))
                return
            if now - last_sample >= self.sample_every_s or stepping_done:
                self._sample()
                last_sample = time.monotonic()
            if self.evaluator is not None and now - last_eval >= self.evaluate_every_s:
                self._evaluate()
                last_eval = time.monotonic()
            if self.config.steps is not None and self._step >= self.config.steps:
                self._finish(RunStatus.FINISHED,
                             LazyText("Finished {steps} steps.", steps=self._step))
                return
            if self.max_seconds is not None and self._elapsed >= self.max_seconds:
                self._finish(RunStatus.FINISHED, LazyText(
                    "Reached the time limit of {seconds:g} s.", seconds=self.max_seconds))
                return
        self._finish(RunStatus.STOPPED, LazyText("Stopped by the user."))

    def _wait_for_work(self) -> bool:
        """Under the state lock: wait while paused; False when the run must stop."""
        while True:
            if self._stop:
                return False
            if self._unwatched():
                self._paused = True
                self._message = LazyText("Paused automatically: nobody has watched this run "
                                         "for {seconds:g} s. Press Resume to go on.",
                                         seconds=self.pause_when_unwatched_s)
            if not self._paused:
                self._status = RunStatus.RUNNING
                break
            if self._step_budget > 0:
                self._step_budget -= 1
                self._status = RunStatus.PAUSED
                break
            self._status = RunStatus.PAUSED
            self._cond.wait(0.5)
        # Callers waiting for the models go first (they wait at most one step).
        while self._model_requests and not self._stop:
            self._cond.wait(0.05)
        return not self._stop

    @property
    def unwatched_s(self) -> float:
        """Seconds since anyone watched the run (the registry's sweeper stops abandoned runs)."""
        with self._cond:
            return time.monotonic() - self._last_watched

    def _unwatched(self) -> bool:
        return (self.pause_when_unwatched_s is not None and not self._paused
                and time.monotonic() - self._last_watched > self.pause_when_unwatched_s)

    def _sample(self) -> None:
        """Draw the fixed-noise grid (inference mode: BatchNorm uses its moving statistics)
        from the averaged generator, and, with averaging, from the trained one too (the Train
        page's "raw" view; only the newest: the timeline keeps the averaged grids)."""
        with self._model_lock:
            images = self.model.average_generator(self._noise, training=False).numpy()
            raw = (self.model.generator(self._noise, training=False).numpy()
                   if self.model.averaging else None)
        pixels = to_uint8(images)
        for array in (images, pixels, raw):
            if array is not None:
                array.flags.writeable = False
        with self._cond:
            self._samples, self._raw_samples, self._samples_step = images, raw, self._step
            self._frames.add(self._step, pixels)

    def _evaluate(self) -> None:
        z = latent_vectors(self.config.seed + 1, self.evaluator.n_samples, self.config.latent_dim)
        with self._model_lock:
            images = self.model.average_generator(z, training=False).numpy()
        scores = self.evaluator.evaluate(images)
        with self._cond:
            if self._evaluations is None:
                self._evaluations = MetricHistory(sorted(scores), capacity=400, recent=100)
            self._evaluations.append(self._step, self._elapsed, scores)

    def _finish(self, status: RunStatus, message: str) -> None:
        self._sample()
        if self.evaluator is not None:
            self._evaluate()
        self._end(status, message)

    def _end(self, status: RunStatus, message: str) -> None:
        with self._cond:
            self._status, self._message = status, message
            self._cond.notify_all()

    def _divergence_advice(self, bad: str) -> str:
        fix = LazyText(ALGORITHM_INFO[self.config.algorithm].divergence_advice)
        return LazyText("Diverged at step {step}: {bad} became NaN or infinite, so training "
                        "stopped. To fix it, {fix}, then start again.",
                        step=self._step, bad=bad, fix=fix)

    # --- helpers -----------------------------------------------------------------------------

    def _speed(self) -> float:
        """Steps per second over the last few dozen steps (training time only)."""
        if len(self._rate) < 2:
            return 0.0
        (t0, s0), (t1, s1) = self._rate[0], self._rate[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 else 0.0

    def _weights(self, with_critic: bool) -> tuple[_Weights, RunSnapshot]:
        """The networks' weights between two steps (or as the run ended), and the snapshot
        of that same step. Waiting here goes before the next step: at most one step."""
        with self._cond:
            self._model_requests += 1
        try:
            with self._model_lock:
                if self.model is not None:
                    weights = _Weights.of(self.model, with_critic)
                elif self._final is not None:
                    weights = self._final.weights(with_critic)
                else:
                    raise NotBuiltYet()
                return weights, self.snapshot(watch=False)
        finally:
            with self._cond:
                self._model_requests -= 1
                self._cond.notify_all()

    def _load_optimizer_state(self, state: Mapping[str, list[np.ndarray]]) -> None:
        for key in ("d_optimizer", "g_optimizer"):
            optimizer = getattr(self.model, key)
            saved = state.get(key)
            if saved is None or len(saved) != len(optimizer.variables) or any(
                    tuple(a.shape) != tuple(v.shape) for a, v in zip(saved, optimizer.variables)):
                continue   # a fresh optimiser is a safe start; the weights matter most
            for variable, value in zip(optimizer.variables, saved):
                variable.assign(value)
