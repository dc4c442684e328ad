"""Where a run trains: a thread of this process (the default) or a Ray actor on a cluster.

Pages, comparisons and autosave ask a `Backend` for a run and get an object with the `Run`
interface; none of them knows where the training happens. The thread backend is the
`TrainingRun` of ganlib.training.runner: nothing to install and nothing to start. The Ray backend
(ganlib.training.ray_backend) is chosen only when a Ray address is configured, and only then is `ray`
imported, so the app, the command line and the tests run without Ray installed.
"""

from __future__ import annotations

from typing import Any, Protocol

from ganlib.config import TrainConfig
from ganlib.data import Dataset
from ganlib.training.core import Run
from ganlib.training.runner import TrainingRun


class Backend(Protocol):
    """Makes runs. `queues`: a run that cannot train yet waits ("queued") instead of being
    refused, so the registry does not apply its own cap (the cluster's size is the cap).
    `autosaves`: the backend autosaves its runs itself (ganlib.training.autosave), so the
    registry's sweeper does not."""

    queues: bool
    autosaves: bool

    def make_run(self, config: TrainConfig, *, dataset: Dataset,
                 evaluation_samples: int | None = None, priority: bool = False,
                 **options: Any) -> Run: ...

    def close(self) -> None: ...


class ThreadBackend:
    """Each run trains in a thread of this process (ganlib.training.runner.TrainingRun)."""

    queues = False
    autosaves = False

    def make_run(self, config: TrainConfig, *, dataset: Dataset,
                 evaluation_samples: int | None = None, priority: bool = False,
                 **options: Any) -> TrainingRun:
        """A TrainingRun; `options` are its keyword arguments. `priority` changes nothing
        here: a thread starts at once, or the registry refuses it."""
        from ganlib.metrics import evaluator_for      # (cached: runs on the same data share it)

        evaluator = evaluator_for(dataset, evaluation_samples) if evaluation_samples else None
        return TrainingRun(config, dataset=dataset, evaluator=evaluator, **options)

    def close(self) -> None:
        """Nothing to release: the registry stops the runs."""


THREADS = ThreadBackend()


def backend_for(address: str | None) -> Backend:
    """Threads without an address; a Ray cluster with one (raises GanlibError, saying what
    to do, when Ray is not installed or the cluster cannot be reached). The address is
    "auto" (a cluster started on this machine with `ray start --head`), "<head>:6379" or
    "ray://<head>:10001": the app passes its setting (ganlib.settings, `ray_address`)."""
    if not address:
        return THREADS
    from ganlib.training.ray_backend import RayBackend

    return RayBackend(address)
