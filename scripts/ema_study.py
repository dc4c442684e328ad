"""Do the averaged generator and one initialiser per layer give better digits in the same time?

Trains each Quick preset as the app does (a real `TrainingRun`, evaluated every few seconds
by the shipped classifier on 500 samples, benchmarks/time_to_quality.py) in four variants:
both changes, without the average (ema_decay 0), with the old initialisation (one N(0, 0.02)
initialiser per network, shared by all its layers, so that its layers start from the same
random numbers), and with neither. For each it reports, at each of --at seconds after Start
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

from benchmarks.time_to_quality import on_grid, quality_run
from ganlib import models
from ganlib.algorithms import ALGORITHMS
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


def study_run(algorithm: str, variant: str, seed: int, seconds: float, evaluate_every_s: float,
              changes: dict[str, Any]) -> dict[str, Any]:
    """One run of `algorithm`'s Quick preset in `variant`; quality_run's record and speed."""
    averaged, per_layer = VARIANTS[variant]
    settings = {**changes, **({} if averaged else {"ema_decay": 0.0})}
    with initialisation(per_layer):
        run = quality_run(algorithm, seed, seconds, evaluate_every_s, settings)
    series = run["series"]
    trained_s = series["train_s"][-1] if series["train_s"] else 0.0
    steps_per_s = series["step"][-1] / trained_s if trained_s else None
    print(algorithm, variant, seed, f"{run['steps']} steps", file=sys.stderr, flush=True)
    return {**run, "variant": variant, "overrides": settings, "steps_per_s": steps_per_s}


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
    args = parser.parse_args(argv)
    changes = overrides(args.set)
    for algorithm, variant in itertools.product(args.algorithms, args.variants):
        study_run(algorithm, variant, 0, args.warm_up, args.evaluate_every, changes)
    runs = [study_run(algorithm, variant, seed, args.seconds, args.evaluate_every, changes)
            for seed in range(args.seeds) for algorithm in args.algorithms
            for variant in args.variants]
    table = summary(runs, args.at)
    print(markdown(table, args.at), file=sys.stderr)
    json.dump({"seconds": args.seconds, "at": args.at, "overrides": changes,
               "summary": table, "runs": runs}, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
