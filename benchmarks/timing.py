"""Timing helpers shared by the benchmarks: interleaved repetitions and their summaries.

Why interleave: on a shared machine the speed drifts over minutes (other work starts and
stops, the CPU clocks up and down). Timing A for a minute and then B for a minute puts that
drift into the A/B ratio; alternating short blocks (A B, B A, A B, ...) exposes both to the
same conditions, and the ratio of the two blocks of one repetition compares them under
nearly the same load. Every number is reported as the median of the repetitions with their
min and max, so a reader sees the spread, not one lucky run.
"""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

# Something that trains `n` iterations when called: one arm of a comparison.
Arm = Callable[[int], None]


def summarize(values: Sequence[float]) -> dict[str, Any]:
    """{"median", "min", "max", "n", "values"} of a list of measurements (empty: all None)."""
    values = [float(v) for v in values]
    if not values:
        return {"median": None, "min": None, "max": None, "n": 0, "values": []}
    return {"median": statistics.median(values), "min": min(values), "max": max(values),
            "n": len(values), "values": values}


def interleaved_rates(arms: Mapping[str, Arm], steps: int | Mapping[str, int],
                      repetitions: int, warmup: int = 1) -> dict[str, list[float]]:
    """Iterations per second of each arm: `repetitions` timed blocks of `steps` iterations
    (one number for every arm, or one per arm name).

    Each arm first runs `warmup` untimed iterations (graph tracing, first-call caches). The
    order of the arms alternates between repetitions (A B, B A, ...), so that neither arm
    always runs right after the other one's allocations, or first after a pause.
    """
    names = list(arms)
    block = dict(steps) if isinstance(steps, Mapping) else {name: steps for name in names}
    if repetitions < 1 or any(block[name] < 1 for name in names):
        raise ValueError("steps and repetitions must be at least 1.")
    for arm in arms.values():
        if warmup:
            arm(warmup)
    rates: dict[str, list[float]] = {name: [] for name in names}
    for rep in range(repetitions):
        for name in (names if rep % 2 == 0 else names[::-1]):
            started = time.perf_counter()
            arms[name](block[name])
            rates[name].append(block[name] / (time.perf_counter() - started))
    return rates


def ratios(numerators: Sequence[float], denominators: Sequence[float]) -> list[float]:
    """Element-wise a / b of two equally long lists (one ratio per repetition)."""
    if len(numerators) != len(denominators):
        raise ValueError("ratios needs two lists of the same length.")
    return [a / b for a, b in zip(numerators, denominators)]


def load_average() -> float:
    """The 1-minute load average: above the core count means others were using the CPU."""
    return round(os.getloadavg()[0], 2)
