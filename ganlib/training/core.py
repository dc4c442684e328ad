"""The run core: what every training run is, wherever it trains.

A run trains in a thread of this process (ganlib.training.runner.TrainingRun) or in a Ray
actor (ganlib.training.ray_backend.RayRun). Pages, comparisons, autosave and the classroom
server use a run only through the `Run` protocol below, so none of them knows where it trains.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

import numpy as np

from ganlib.config import TrainConfig

if TYPE_CHECKING:
    from ganlib.training.runner import RunSnapshot


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

    def save(self, name: str, root=None, overwrite: bool = True) -> Any: ...
