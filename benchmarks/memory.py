"""Memory: does a long training run keep its resident memory flat?

A classroom server runs for hours; a run that leaks a few kilobytes per step would fill the
machine. `TrainingRun` bounds what it keeps (a downsampling metric history, a thinned
timeline of sample grids), so after warm-up (graph tracing, allocator pools, the first
history rows) its memory should stop growing. This probe trains the GAN Quick preset as the
app runs it (quality evaluator included) with a tiny batch, so that 20,000 steps take
minutes, not an hour. It runs in this process and reads the process's resident set size
every 1,000 steps from /proc/self/status (psutil is not a dependency). The absolute level
includes whatever this process held before; the growth after warm-up is what matters.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from benchmarks.timing import load_average
from ganlib.config import make_config
from ganlib.data import load_dataset
from ganlib.metrics import evaluator_for
from ganlib.training.runner import TrainingRun

# Allowed growth of resident memory from the end of warm-up to the end of the run.
TARGET_GROWTH_MB = 50.0


def rss_mb(status: Path = Path("/proc/self/status")) -> float:
    """This process's resident set size (VmRSS) in MB (10^6 bytes)."""
    for line in status.read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024 / 1e6          # "VmRSS:   123456 kB"
    raise RuntimeError(f"{status} has no VmRSS line: is this Linux?")


def memory_probe(steps: int = 20_000, every: int = 1_000, warmup_steps: int = 2_000,
                 batch_size: int = 8) -> dict[str, Any]:
    """Resident memory every `every` steps of a `steps`-step GAN Quick run at `batch_size`;
    growth from the first sample at or after `warmup_steps` to the end."""
    if not 0 < every <= steps or not 0 <= warmup_steps < steps:
        raise ValueError("Need 0 < every <= steps and 0 <= warmup_steps < steps.")
    config = make_config("gan", "quick", batch_size=batch_size, steps=steps)
    dataset = load_dataset(config.dataset, config.digits)
    evaluator = evaluator_for(dataset)                         # as the app attaches it
    load_before = load_average()
    before = rss_mb()
    run = TrainingRun(config, dataset=dataset, evaluator=evaluator)
    started = time.monotonic()
    run.start()
    samples: list[tuple[int, float, float]] = []              # (step, seconds, MB)
    for target in range(every, steps + 1, every):
        run.wait_for(lambda snap, target=target: snap.step >= target, timeout=3600)
        snap = run.snapshot(watch=False)
        samples.append((snap.step, time.monotonic() - started, rss_mb()))
        if not snap.active:
            break
    run.stop()
    status = run.snapshot(watch=False).status
    if status not in ("finished", "stopped"):
        raise RuntimeError(f"The memory probe's run ended as {status}: "
                           f"{run.snapshot(watch=False).message}")
    after_warmup = next(mb for step, _, mb in samples if step >= warmup_steps)
    growth = samples[-1][2] - after_warmup
    return {"steps": steps, "every": every, "warmup_steps": warmup_steps,
            "batch_size": batch_size, "rss_before_mb": before,
            "samples": [{"step": s, "seconds": t, "rss_mb": mb} for s, t, mb in samples],
            "growth_after_warmup_mb": growth, "target_growth_mb": TARGET_GROWTH_MB,
            "met": growth < TARGET_GROWTH_MB,
            "steps_per_s": (samples[-1][0] - samples[0][0]) / (samples[-1][1] - samples[0][1])
            if len(samples) > 1 else None,
            "load_average": [load_before, load_average()]}


# Allowed growth of resident memory over `runs_probe`'s cycles, after the first one.
TARGET_RUNS_GROWTH_MB = 100.0


def runs_probe(cycles: int = 100, steps: int = 20, every: int = 10) -> dict[str, Any]:
    """Resident memory across `cycles` runs of the GAN Quick preset, each started through a
    `RunRegistry` as the app starts it (quality evaluator included), trained `steps` steps
    and stopped, read every `every` cycles. A classroom server starts runs all day: what
    matters is the growth from the end of the first cycle (which also warms TensorFlow up)
    to the end of the last, with the registry still holding its ended runs."""
    from ganlib.server.registry import RunRegistry

    if cycles < 2 or not 0 < every <= cycles:
        raise ValueError("Need cycles >= 2 and 0 < every <= cycles.")
    config = make_config("gan", "quick", steps=None)
    dataset = load_dataset(config.dataset, config.digits)
    evaluator = evaluator_for(dataset)
    registry = RunRegistry(max_active=1)
    load_before = load_average()
    before = rss_mb()
    readings: list[tuple[int, float]] = []
    started = time.monotonic()
    for cycle in range(1, cycles + 1):
        run, _ = registry.start(lambda: TrainingRun(config, dataset=dataset, evaluator=evaluator))
        run.wait_for(lambda snap: snap.step >= steps, timeout=600)
        run.stop(timeout=None)      # however busy the machine: the next start needs the slot
        if cycle == 1 or cycle % every == 0:
            readings.append((cycle, rss_mb()))
    growth = readings[-1][1] - readings[0][1]
    return {"cycles": cycles, "steps": steps, "every": every, "rss_before_mb": before,
            "readings": [{"cycle": c, "rss_mb": mb} for c, mb in readings],
            "growth_mb": growth, "target_growth_mb": TARGET_RUNS_GROWTH_MB,
            "met": growth < TARGET_RUNS_GROWTH_MB, "seconds": time.monotonic() - started,
            "load_average": [load_before, load_average()]}
