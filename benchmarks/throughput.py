"""ganlib's own training speed: its step as a training run calls it, for any configuration.

`GanlibLoop` is the "ganlib" arm of every speed comparison: `build_gan(config).train_iteration`
on the whole training set held as one tensor, each step's scalars read back with `float()`
exactly as `TrainingRun` does (that read waits for the step to finish, so no step is
counted before its work is done).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import tensorflow as tf

from benchmarks.timing import interleaved_rates, load_average, summarize
from ganlib.algorithms import ALGORITHMS
from ganlib.config import TrainConfig, make_config
from ganlib.data import load_dataset
from ganlib.gans import build_gan


class GanlibLoop:
    """ganlib's training loop for `config`, as `TrainingRun` runs it."""

    def __init__(self, config: TrainConfig, images: np.ndarray | None = None):
        self.config = config
        if images is None:
            images = load_dataset(config.dataset, config.digits).images
        self.model = build_gan(config)
        self.data = tf.constant(images)                     # (N, 28, 28, 1) on the device
        self.model.trace(self.data)

    @property
    def images_per_iteration(self) -> int:
        """Real images the discriminator/critic trains on per generator iteration."""
        return self.config.batch_size * self.config.n_critic

    def __call__(self, iterations: int) -> None:
        for _ in range(iterations):
            {name: float(value) for name, value in self.model.train_iteration(self.data).items()}


def preset_throughput(preset: str = "quick", steps: int = 150, repetitions: int = 3,
                      warmup: int = 5, algorithms: tuple[str, ...] = ALGORITHMS) -> dict[str, Any]:
    """Generator iterations per second of each algorithm's `preset`, interleaved.

    Blocks are `steps // n_critic` iterations, so that every block does about the same
    number of network updates whatever the algorithm.
    """
    configs = {algorithm: make_config(algorithm, preset) for algorithm in algorithms}
    loops = {algorithm: GanlibLoop(config) for algorithm, config in configs.items()}
    load_before = load_average()
    blocks = {algorithm: max(1, steps // config.n_critic) for algorithm, config in configs.items()}
    rates = interleaved_rates(loops, blocks, repetitions, warmup)
    results = {}
    for algorithm, config in configs.items():
        per_iteration = loops[algorithm].images_per_iteration
        results[algorithm] = {
            "batch_size": config.batch_size, "n_critic": config.n_critic,
            "steps_per_s": summarize(rates[algorithm]),
            "images_per_s": summarize([r * per_iteration for r in rates[algorithm]]),
        }
    return {"preset": preset, "steps_per_block": steps, "repetitions": repetitions,
            "load_average": [load_before, load_average()], "algorithms": results}
