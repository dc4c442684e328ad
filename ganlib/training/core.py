"""The run core: what every training run is, wherever it trains.

A run trains in a thread of this process (ganlib.training.runner.TrainingRun) or in a Ray
actor (ganlib.training.ray_backend.RayRun). Pages, comparisons, autosave and the classroom
server use a run only through the `Run` protocol below, so none of them knows where it trains.
The facts both backends share live here once: the statuses and which of them are over, the
run id, the snapshot (and what it shows before the first step), the step(n) rule, the
"not built yet" refusal, and waiting for a run.
"""

from __future__ import annotations

import secrets
import threading
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from ganlib.config import TrainConfig
from ganlib.errors import GanlibError
from ganlib.messages import N_, _

if TYPE_CHECKING:
    from ganlib.data import Dataset

# How often `wait_for` looks at a run again: a page's Pause waits this much past the step.
WAIT_POLL_S = 0.05


class RunStatus(StrEnum):
    """Where a run is in its life. A `str`: the live feed's JSON, a snapshot read by a test and
    the translation catalog (each value is marked for it: the app shows them) see the word."""

    CREATED = N_("created")      # made; its networks are being built
    QUEUED = N_("queued")        # waiting for a place on a Ray cluster (ray_backend)
    RUNNING = N_("running")
    PAUSED = N_("paused")
    FINISHED = N_("finished")    # reached its step or time limit
    STOPPED = N_("stopped")      # by a person, the registry or the server's shutdown
    DIVERGED = N_("diverged")    # a loss became NaN or infinite
    FAILED = N_("failed")        # an error, or its Ray worker died

    @property
    def ended(self) -> bool:
        """Over for good: nothing will change the run any more."""
        return self in ENDED

    @property
    def active(self) -> bool:
        """Not over: it counts as a job of its owner (a queued run too) and can be paused
        or stopped."""
        return not self.ended

    @property
    def went_wrong(self) -> bool:
        """Ended by a problem (diverged, failed): its message says what to do."""
        return self in (RunStatus.DIVERGED, RunStatus.FAILED)


ENDED = frozenset({RunStatus.FINISHED, RunStatus.STOPPED, RunStatus.DIVERGED, RunStatus.FAILED})


def new_run_id() -> str:
    """A fresh run id, "run-" and 8 hex digits. Unguessable: a run id in a link lets a class
    watch, never control (ganlib.server.registry); a valid checkpoint name (autosaves use it)."""
    return f"run-{secrets.token_hex(4)}"


AUTOSAVE_PREFIX = "autosave-"


def autosave_name(run_id: str) -> str:
    """The checkpoint name a run is autosaved as (ganlib.training.autosave; run ids are valid
    checkpoint names)."""
    return f"{AUTOSAVE_PREFIX}{run_id}"


def check_step_count(n: int) -> None:
    """Refuse a `step(n)` that would advance nothing (a caller's mistake, not a user's: the
    Train page's field starts at 1)."""
    if n < 1:
        raise ValueError(f"step(n) needs n >= 1, got {n}.")


class NotBuiltYet(GanlibError):
    """The run has no networks to read yet (it is building them, or waiting for a place)."""

    def __init__(self) -> None:
        super().__init__(_("The run has not built its models yet; try again in a moment."))


@dataclass(frozen=True)
class RunSnapshot:
    """An immutable view of a run at one moment. Arrays are read-only and shared.

    The defaults are a run before its first step; `initial` makes one.
    """

    run_id: str
    config: TrainConfig
    dataset_name: str
    dataset_notice: str | None
    num_images: int
    status: RunStatus = RunStatus.CREATED
    message: str | None = None
    step: int = 0
    elapsed_s: float = 0.0
    steps_per_s: float = 0.0
    history: Mapping[str, np.ndarray] = field(default_factory=dict)
    evaluations: Mapping[str, np.ndarray] = field(default_factory=dict)
    samples: np.ndarray | None = None   # (n, 28, 28, 1) in [-1, 1] from the fixed noise
    # The same noise through the trained generator, when samples come from its average
    # (ganlib.gans); None without averaging.
    raw_samples: np.ndarray | None = None
    samples_step: int = -1
    timeline: tuple[tuple[int, np.ndarray], ...] = ()   # (step, (n, 28, 28) uint8 pixels)
    saved_as: str | None = None
    saved_step: int = -1                # the step saved_as holds (-1: never saved)
    queue_position: int | None = None   # while queued: 1 is the next run to start

    def __post_init__(self) -> None:
        # A word ("paused") becomes its RunStatus, so that `status.active` works; an unknown
        # word fails here, where it was written.
        object.__setattr__(self, "status", RunStatus(self.status))

    @classmethod
    def initial(cls, run_id: str, config: TrainConfig, dataset: Dataset, *, step: int = 0,
                elapsed_s: float = 0.0, history: Mapping[str, np.ndarray] | None = None
                ) -> RunSnapshot:
        """A run of `config` on `dataset` before its first step here; a resumed run starts
        at the `step`, `elapsed_s` and `history` of its checkpoint. What a Ray run shows
        before its worker answers, and where a test's made-up snapshot starts."""
        return cls(run_id=run_id, config=config, dataset_name=dataset.name,
                   dataset_notice=dataset.notice, num_images=len(dataset.images), step=step,
                   elapsed_s=elapsed_s, history=history or {})

    @property
    def active(self) -> bool:
        return self.status.active

    @property
    def total_steps(self) -> int | None:
        """The step budget; None trains until stopped."""
        return self.config.steps

    @property
    def epoch(self) -> float:
        """Passes over the training images so far (each step shows the critic n_critic
        batches)."""
        return self.step * self.config.batch_size * self.config.n_critic / max(1, self.num_images)

    @property
    def progress(self) -> float | None:
        """Fraction done in [0, 1], or None for a run without a step budget."""
        if not self.total_steps:
            return None
        return min(1.0, self.step / self.total_steps)

    @property
    def eta_s(self) -> float | None:
        """Seconds left at the current speed, when that can be told."""
        if not self.total_steps or self.steps_per_s <= 0 or self.status != RunStatus.RUNNING:
            return None
        return max(0.0, (self.total_steps - self.step) / self.steps_per_s)

    def last(self, name: str) -> float | None:
        column = self.history.get(name)
        if column is None or not len(column):
            return None
        return float(column[-1])


class RunCore(ABC):
    """What a run does the same way wherever it trains: its identity, and waiting for it.

    A subclass sets `_ended` once the run is over and its results (last snapshot, final
    weights) are here.
    """

    def __init__(self, config: TrainConfig, owner_id: str | None) -> None:
        self.config = config
        # Written into its checkpoints (ganlib.server.classroom: a student's saves stay theirs).
        self.owner_id = owner_id
        self.run_id = new_run_id()
        self._ended = threading.Event()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the run has ended (finished, stopped, diverged, failed) and its
        results are here; True if it did."""
        return self._ended.wait(timeout)

    def wait_for(self, predicate: Callable[[RunSnapshot], bool], timeout: float = 60.0) -> bool:
        """Block until predicate(snapshot) is true or the run ends; True if it became true.
        The predicate is always asked at least once, even with no time to wait."""
        deadline = time.monotonic() + timeout
        while True:
            snap = self.snapshot(watch=False)
            if predicate(snap):
                return True
            left = deadline - time.monotonic()
            if snap.status.ended or left <= 0:
                return False
            time.sleep(min(WAIT_POLL_S, left))

    @abstractmethod
    def snapshot(self, watch: bool = True) -> RunSnapshot:
        """A consistent copy of the run's state; watch=True counts as someone watching."""


@runtime_checkable
class Run(Protocol):
    """One training run, wherever it trains: what pages, comparisons and autosave use.
    `isinstance(job, Run)` tells a run from a comparison."""

    run_id: str
    config: TrainConfig
    owner_id: str | None

    def start(self, paused: bool = False) -> Run: ...

    def pause(self) -> None: ...

    def resume(self) -> None: ...

    def step(self, n: int = 1) -> None: ...

    def stop(self, timeout: float | None = 30.0) -> None: ...

    def wait(self, timeout: float | None = None) -> bool: ...

    def wait_for(self, predicate: Callable[[RunSnapshot], bool], timeout: float = 60.0) -> bool: ...

    @property
    def alive(self) -> bool: ...

    @property
    def unwatched_s(self) -> float: ...

    def snapshot(self, watch: bool = True) -> RunSnapshot: ...

    def generator_weights(self) -> tuple[int, list[np.ndarray]]: ...

    def checkpoint_state(self) -> tuple[Any, RunSnapshot]: ...

    def save(self, name: str, root=None, overwrite: bool = True) -> Any: ...
