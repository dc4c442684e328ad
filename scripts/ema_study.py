"""Do the averaged generator and one initialiser per layer give better digits in the same time?

Trains each Quick preset as the app does (a real `TrainingRun`, evaluated every few seconds
by the shipped classifier on 500 samples, benchmarks/time_to_quality.py) in four variants:
both changes, without the average (ema_decay 0), with the old initialisation (one N(0, 0.02)
initialiser per network, shared by all its layers, so that its layers start from the same
random numbers), and with neither. What else might buy quality per second is tried with
--set (ema_decay, batch_size, the rates; steps=100000 lifts the preset's step limit, to see
where a preset levels off), --widths (the quick networks' channels, ganlib.models.QUICK_WIDTHS),
--lr-decay (the rates fall linearly over the preset's steps) and --augment (differentiable
augmentation by translation). For each it reports, at each of --at seconds after Start
(wall-clock, building and evaluations included), the Fréchet distance as a multiple of the
real-vs-real baseline and the classes covered: the median over seeds, and each seed's value;
and the training steps per second (the averaging must not slow training down). Runs go one
at a time, seed by seed and preset by preset, the variants side by side, so a slow minute of
the machine hits them all. First each preset and variant trains once for --warm-up seconds,
unrecorded: a later run of the same settings reuses its traced graph (ganlib.gans.ModelPool),
so without it the first variant alone would pay for tracing. The results and the choice they
led to are in docs/decisions.md.

    python -m scripts.ema_study --seeds 3 --seconds 90 --at 30 60 90 > ema-study.json
"""

from __future__ import annotations

import contextlib
import itertools
import json
import math
import sys
from collections.abc import Iterator
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from benchmarks.time_to_quality import on_grid, quality_run
from ganlib import gans, models
from ganlib.algorithms import ALGORITHMS
from ganlib.config import TrainConfig
from scripts.study_args import overrides, study_parser

# Each variant: (the average kept, one initialiser per layer).
VARIANTS: dict[str, tuple[bool, bool]] = {
    "both": (True, True), "no-ema": (False, True), "shared-init": (True, False),
    "neither": (False, False)}


@contextlib.contextmanager
def initialisation(per_layer: bool) -> Iterator[None]:
    """The networks' initialisation: per layer (ganlib.models) or, for the comparison only,
    the old one: one initialiser per network, made under the run's global seed and shared
    by every layer of it."""
    if per_layer:
        yield
        return
    own = models._initializers
    models._initializers = lambda seed, network: itertools.repeat(
        keras.initializers.RandomNormal(stddev=0.02))
    try:
        yield
    finally:
        models._initializers = own


@contextlib.contextmanager
def quick_widths(widths: list[int] | None) -> Iterator[None]:
    """The quick networks with other channel widths (generator 2, critic 2), for a study."""
    if widths is None:
        yield
        return
    own = models.QUICK_WIDTHS
    models.QUICK_WIDTHS = {"generator": tuple(widths[:2]), "critic": tuple(widths[2:])}
    try:
        yield
    finally:
        models.QUICK_WIDTHS = own


@contextlib.contextmanager
def decaying_rates(end: float | None) -> Iterator[None]:
    """Learning rates that fall linearly to `end` x their start over the run's steps (the
    critic's over its updates: n_critic a step for the WGANs), for a study."""
    if end is None:
        yield
        return
    own, made = gans.make_optimizer, itertools.count()

    def make_optimizer(config: TrainConfig, learning_rate: float) -> keras.optimizers.Optimizer:
        critic = next(made) % 2 == 0                  # build_gan makes the critic's first
        updates = config.steps * (config.n_critic if critic else 1)
        return own(config, keras.optimizers.schedules.PolynomialDecay(
            learning_rate, decay_steps=updates, end_learning_rate=learning_rate * end))

    gans.make_optimizer = make_optimizer
    try:
        yield
    finally:
        gans.make_optimizer = own


class Translate(keras.layers.Layer):
    """Differentiable augmentation (Zhao et al., "Differentiable Augmentation for
    Data-Efficient GAN Training", NeurIPS 2020) by translation: while training, each image
    the critic sees, real or generated, moves by up to `pixels` in each direction (zeros come
    in), so the critic cannot learn the 10,000 digits' exact places."""

    def __init__(self, pixels: int, **kwargs: Any):
        super().__init__(**kwargs)
        self.pixels = pixels

    def call(self, x, training: bool = False):
        if not training:
            return x
        p, size = self.pixels, x.shape[1]                              # x: (n, 28, 28, 1)
        padded = tf.pad(x, [[0, 0], [p, p], [p, p], [0, 0]])           # (n, 28 + 2p, ...)
        offsets = tf.random.uniform((2, tf.shape(x)[0], 1), 0, 2 * p + 1, dtype=tf.int32)
        places = offsets + tf.range(size)[None, None, :]               # (2, n, 28)
        rows = tf.gather(padded, places[0], axis=1, batch_dims=1)      # (n, 28, 28 + 2p, 1)
        return tf.gather(rows, places[1], axis=2, batch_dims=1)        # (n, 28, 28, 1)


@contextlib.contextmanager
def augmented_critic(pixels: int | None) -> Iterator[None]:
    """Critics that see every image through `Translate(pixels)` while training, for a study."""
    if not pixels:
        yield
        return
    own = gans.build_discriminator

    def build_discriminator(config: TrainConfig) -> keras.Sequential:
        critic = own(config)
        return keras.Sequential([keras.Input(models.IMAGE_SHAPE), Translate(pixels),
                                 *critic.layers], name=critic.name)

    gans.build_discriminator = build_discriminator
    try:
        yield
    finally:
        gans.build_discriminator = own


def study_run(algorithm: str, variant: str, seed: int, seconds: float, evaluate_every_s: float,
              changes: dict[str, Any], widths: list[int] | None = None,
              lr_decay: float | None = None, augment: int | None = None) -> dict[str, Any]:
    """One run of `algorithm`'s Quick preset in `variant`; quality_run's record and speed."""
    averaged, per_layer = VARIANTS[variant]
    settings = {**changes, **({} if averaged else {"ema_decay": 0.0})}
    with initialisation(per_layer), quick_widths(widths), decaying_rates(lr_decay), \
            augmented_critic(augment):
        run = quality_run(algorithm, seed, seconds, evaluate_every_s, settings)
    series = run["series"]
    trained_s = series["train_s"][-1] if series["train_s"] else 0.0
    steps_per_s = series["step"][-1] / trained_s if trained_s else None
    print(algorithm, variant, seed, f"{run['steps']} steps", file=sys.stderr, flush=True)
    return {**run, "variant": variant, "overrides": settings, "widths": widths,
            "lr_decay": lr_decay, "augment": augment, "steps_per_s": steps_per_s}


def summary(runs: list[dict[str, Any]], at: list[float]) -> dict[str, Any]:
    """Per preset and variant: FD ratio and classes covered at each time in `at` (median over
    seeds, and each seed's), and the median training steps per second."""
    grid = np.asarray(at, dtype=float)
    table: dict[str, Any] = {}
    for algorithm, variant in {(r["algorithm"], r["variant"]): None for r in runs}:
        mine = [r for r in runs if (r["algorithm"], r["variant"]) == (algorithm, variant)]
        speeds = [r["steps_per_s"] for r in mine if r["steps_per_s"] is not None]
        row: dict[str, Any] = {"steps_per_s": float(np.median(speeds)) if speeds else math.nan}
        for name in ("fd_ratio", "classes_covered"):
            values = on_grid(mine, name, grid)                     # (seeds, times)
            row[name] = {f"{t:g}s": {"median": float(np.nanmedian(values[:, i])),
                                     "seeds": [round(float(v), 2) for v in values[:, i]]}
                         for i, t in enumerate(at)}
        table.setdefault(algorithm, {})[variant] = row
    return table


def markdown(table: dict[str, Any], at: list[float]) -> str:
    """The summary as a Markdown table: FD ratio / classes (medians) at each time."""
    times = [f"{t:g}s" for t in at]
    lines = ["| preset | variant | " + " | ".join(f"{t}: FD x / classes" for t in times)
             + " | steps/s |", "|---|---|" + "---|" * (len(times) + 1)]
    for algorithm, variants in table.items():
        for variant, row in variants.items():
            cells = [f"{row['fd_ratio'][t]['median']:.1f} / "
                     f"{row['classes_covered'][t]['median']:.0f}" for t in times]
            lines.append(f"| {algorithm} | {variant} | " + " | ".join(cells)
                         + f" | {row['steps_per_s']:.1f} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = study_parser(__doc__, seeds=3, steps=None,
                          set_help="override settings of every preset, e.g. ema_decay=0.9995")
    parser.add_argument("--seconds", type=float, default=90.0,
                        help="wall-clock seconds each run trains [default: %(default)g]")
    parser.add_argument("--at", type=float, nargs="+", default=[30.0, 60.0, 90.0],
                        help="the times the summary reads [default: 30 60 90]")
    parser.add_argument("--evaluate-every", type=float, default=3.0, metavar="S",
                        help="seconds between evaluations [default: %(default)g]")
    parser.add_argument("--warm-up", type=float, default=5.0, metavar="S",
                        help="seconds of the unrecorded first run of each preset and variant "
                        "[default: %(default)g]")
    parser.add_argument("--algorithms", nargs="+", choices=ALGORITHMS, default=list(ALGORITHMS))
    parser.add_argument("--variants", nargs="+", choices=list(VARIANTS), default=list(VARIANTS))
    parser.add_argument("--widths", type=int, nargs=4, metavar=("G1", "G2", "D1", "D2"),
                        help="the quick networks' channel widths [default: 64 32 32 64]")
    parser.add_argument("--lr-decay", type=float, metavar="END",
                        help="learning rates fall linearly over the preset's steps to END x "
                        "their start [default: constant]")
    parser.add_argument("--augment", type=int, metavar="PIXELS",
                        help="differentiable augmentation: the critic sees every image moved "
                        "by up to PIXELS [default: none]")
    args = parser.parse_args(argv)
    changes = overrides(args.set)
    options = {"widths": args.widths, "lr_decay": args.lr_decay, "augment": args.augment}
    for algorithm, variant in itertools.product(args.algorithms, args.variants):
        study_run(algorithm, variant, 0, args.warm_up, args.evaluate_every, changes, **options)
    runs = [study_run(algorithm, variant, seed, args.seconds, args.evaluate_every, changes,
                      **options)
            for seed in range(args.seeds) for algorithm in args.algorithms
            for variant in args.variants]
    table = summary(runs, args.at)
    print(markdown(table, args.at), file=sys.stderr)
    json.dump({"seconds": args.seconds, "at": args.at, "overrides": changes, **options,
               "summary": table, "runs": runs}, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
