"""The same run in a thread and in a Ray actor on this machine (ganlib.training.ray_backend).

Two questions for a course that moves its runs onto a Ray cluster: does training in an actor
cost speed (it is the same TrainingRun, in another process), and does watching a run through
Ray feel like watching a local one (a page asks for a snapshot every second; target: under
50 ms). Each arm trains the GAN Quick preset on the bundled digits with every core of the
machine, one after the other; snapshots are timed while the run trains, as a page asks them.
Needs the `ray` package (requirements-ray.txt): an optional section.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

import numpy as np

from ganlib.config import make_config
from ganlib.data import load_dataset
from ganlib.training.backends import THREADS
from ganlib.training.core import Run

SNAPSHOT_TARGET_MS = 50.0


def ray_vs_thread(seconds: float, snapshots: int) -> dict[str, Any]:
    """Steps/s over `seconds` of training and the latency of `snapshots` snapshots, for the
    thread backend and for a Ray actor on a local one-node cluster."""
    import ray

    from ganlib.training.ray_backend import RayBackend, runtime_env

    cores = os.cpu_count() or 2
    config = make_config("gan", "quick", steps=None)
    dataset = load_dataset("mnist-10k")
    result: dict[str, Any] = {"seconds": seconds, "snapshots": snapshots, "cores": cores,
                              "target_ms": SNAPSHOT_TARGET_MS}
    result["thread"] = _measure(THREADS.make_run(config, dataset=dataset), seconds, snapshots)
    ray.init(num_cpus=cores, include_dashboard=False, runtime_env=runtime_env(),
             logging_level=logging.WARNING)
    try:
        backend = RayBackend("local", cpus_per_run=cores)
        try:
            result["ray"] = _measure(backend.make_run(config, dataset=dataset), seconds,
                                     snapshots)
        finally:
            backend.close()
    finally:
        ray.shutdown()
    result["met"] = result["ray"]["snapshot_ms"]["median"] < SNAPSHOT_TARGET_MS
    return result


def _measure(run: Run, seconds: float, snapshots: int) -> dict[str, Any]:
    run.start()
    if not run.wait_for(lambda s: s.status == "running" and s.step >= 20, timeout=300):
        raise RuntimeError(f"The run did not start training: {run.snapshot().message}")
    began, first = time.perf_counter(), run.snapshot(watch=False).step
    time.sleep(seconds)
    elapsed, steps = time.perf_counter() - began, run.snapshot(watch=False).step - first
    latencies = []
    for _ in range(snapshots):
        start = time.perf_counter()
        run.snapshot()
        latencies.append(1000 * (time.perf_counter() - start))
        time.sleep(0.02)
    run.stop()
    return {"steps_per_s": steps / elapsed,
            "snapshot_ms": {"median": float(np.median(latencies)),
                            "p95": float(np.percentile(latencies, 95)),
                            "max": float(np.max(latencies))}}
